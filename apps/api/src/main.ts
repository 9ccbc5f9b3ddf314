import { loadConfig } from '#core';
import { createApiApp } from './app.factory.js';

const LEVELS = ['error', 'warn', 'log'] as const;
const config = loadConfig();
const app = await createApiApp({ logger: [...LEVELS.slice(0, LEVELS.indexOf(config.LOG_LEVEL === 'debug' ? 'log' : config.LOG_LEVEL) + 1)] });
await app.listen(config.PORT);
console.log(`Grid141 API listening on http://localhost:${config.PORT} (docs at /docs)`);
