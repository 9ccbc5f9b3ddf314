// The administration console (系统管理): people, rosters, units and routing, categories, grids, region boundaries,
// time limits and the calendar, the audit log. Element Plus (its own theme and the Chinese locale), nothing from outside.
import { createApp } from 'vue';
import 'element-plus/theme-chalk/index.css';
import '@shared/base.css';
import { loadSession, toLogin } from '@shared/session';
import App from './App.vue';

const session = loadSession();
if (!session) toLogin();
createApp(App).mount('#app');
