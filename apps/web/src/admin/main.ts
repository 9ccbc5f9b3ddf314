import { createApp } from 'vue';
import '@shared/base.css';
import { loadSession, toLogin } from '@shared/session';
import App from './App.vue';

if (!loadSession()) toLogin();
createApp(App).mount('#app');
