// The township dispatch console (乡镇调度): /township/ is the desk (queue, map, event panel); /township/?view=map is the
// map alone, for a second screen, kept in step with the desk through a BroadcastChannel.
import { createApp } from 'vue';
import '@shared/base.css';
// Element Plus styles of the components this page uses (not the whole theme)
import 'element-plus/es/components/alert/style/css';
import 'element-plus/es/components/button/style/css';
import 'element-plus/es/components/config-provider/style/css';
import 'element-plus/es/components/date-picker/style/css';
import 'element-plus/es/components/dialog/style/css';
import 'element-plus/es/components/form/style/css';
import 'element-plus/es/components/form-item/style/css';
import 'element-plus/es/components/image/style/css';
import 'element-plus/es/components/input/style/css';
import 'element-plus/es/components/radio-button/style/css';
import 'element-plus/es/components/radio-group/style/css';
import 'element-plus/es/components/rate/style/css';
import 'element-plus/es/components/select/style/css';
import 'element-plus/es/components/tag/style/css';
import { loadSession, toLogin } from '@shared/session';
import App from './App.vue';
import MapScreen from './MapScreen.vue';

if (!loadSession()) toLogin();
const view = new URLSearchParams(location.search).get('view');
createApp(view === 'map' ? MapScreen : App).mount('#app');
