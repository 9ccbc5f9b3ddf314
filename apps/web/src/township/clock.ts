/** One clock for every countdown of the page: a reactive `now` (ms) that ticks every second. */
import { ref } from 'vue';

export const now = ref(Date.now());
setInterval(() => { now.value = Date.now(); }, 1000);
