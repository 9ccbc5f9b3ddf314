import { loadConfig } from '#core';
import { createApiApp } from './app.factory.js';

const config = loadConfig();
const app = await createApiApp();
await app.listen(config.PORT);
console.log(`Grid141 API listening on http://localhost:${config.PORT} (docs at /docs)`);
