/** The application, loaded by the entry script once it has sent the first view's requests (prefetch.ts). */
import { createApp } from 'vue';
import App from './App.vue';

export function mount(): void {
  createApp(App).mount('#app');
}
