/**
 * The entry of /county: small on purpose. It sends the first view's requests (prefetch.ts), then loads the application
 * (Vue, Leaflet, the panels), so that the server answers while the browser is still compiling the code.
 */
import 'leaflet/dist/leaflet.css';
import '@shared/base.css';
import './county.css';
import { loadSession, toLogin } from '@shared/session';
import { prefetch } from './prefetch';
import { reloadWhenServerAnswers } from './recovery';

if (!loadSession()) toLogin();
prefetch();
// Element Plus's dark variables apply under html.dark (the filters and dialogs, loaded later)
document.documentElement.classList.add('dark');

// A wall screen outlives releases: when a lazy chunk of the old release is gone from the server (a new release is
// there), load the new release — but only when the page itself answers: a chunk also fails while the server is down,
// and reloading then would leave the browser's error page, which never recovers. At most once a minute.
window.addEventListener('vite:preloadError', () => {
  const last = Number(sessionStorage.getItem('county.reloadedAt') ?? 0);
  if (Date.now() - last < 60_000) return;
  fetch(location.pathname, { cache: 'no-store' }).then((res) => {
    if (!res.ok) return;
    sessionStorage.setItem('county.reloadedAt', String(Date.now()));
    location.reload();
  }, () => undefined);
});

// the application; if it cannot be loaded (the server went away just now), try again when the server is back
import('./boot').then((m) => m.mount(), () => reloadWhenServerAnswers());
