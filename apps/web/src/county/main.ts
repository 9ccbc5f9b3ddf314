import { createApp } from 'vue';
import 'leaflet/dist/leaflet.css';
import '@shared/base.css';
import './county.css';
import { loadSession, toLogin } from '@shared/session';
import App from './App.vue';

if (!loadSession()) toLogin();
// a wall screen outlives releases: when a lazy chunk of the old release is gone from the server, load the new release
// (at most once a minute, so a server that is down does not make the page reload in a loop)
window.addEventListener('vite:preloadError', (e) => {
  const last = Number(sessionStorage.getItem('county.reloadedAt') ?? 0);
  if (Date.now() - last < 60_000) return;
  e.preventDefault();
  sessionStorage.setItem('county.reloadedAt', String(Date.now()));
  location.reload();
});
// Element Plus's dark variables apply under html.dark (the filters and dialogs, loaded later)
document.documentElement.classList.add('dark');
createApp(App).mount('#app');
