import { loadConfig } from '#core';
import { createWorker } from './worker.factory.js';

const LEVELS = ['error', 'warn', 'log'] as const;
const config = loadConfig();
await createWorker({ logger: [...LEVELS.slice(0, LEVELS.indexOf(config.LOG_LEVEL === 'debug' ? 'log' : config.LOG_LEVEL) + 1)] });
console.log(`Grid141 worker started (SLA timers, sweeper every ${config.SLA_SWEEP_MS} ms)`);
