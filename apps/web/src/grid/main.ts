import { createApp } from 'vue';
import '@shared/base.css';
import { loadSession, toLogin } from '@shared/session';
import App from './App.vue';
import './grid.css';

if (!loadSession()) toLogin();
createApp(App).mount('#app');

// The app shell works offline: a service worker scoped to /grid/ keeps the page and its assets (public/grid/sw.js).
// Service workers need a secure context (HTTPS, or localhost); without one the page still works online.
if ('serviceWorker' in navigator && window.isSecureContext) {
  navigator.serviceWorker.register('/grid/sw.js', { scope: '/grid/' }).catch(() => undefined);
}
