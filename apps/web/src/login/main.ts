import { createApp } from 'vue';
import '@shared/base.css';
import Login from './Login.vue';

createApp(Login).mount('#app');
