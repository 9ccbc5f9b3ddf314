import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { loadConfig } from '#core';
import { createApiApp } from './app.factory.js';

const LEVELS = ['error', 'warn', 'log'] as const;
const config = loadConfig();
const processes = config.API_PROCESSES === 0 ? availableParallelism() : config.API_PROCESSES;

if (processes > 1 && cluster.isPrimary) {
  // stateless API processes sharing one port; a process that dies is replaced
  for (let i = 0; i < processes; i++) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (signal !== 'SIGTERM' && code !== 0) { console.error(`API process ${worker.process.pid} exited (${signal ?? code}); restarting`); cluster.fork(); }
  });
  const stop = () => { for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM'); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  console.log(`Grid141 API: ${processes} processes on http://localhost:${config.PORT} (docs at /docs)`);
} else {
  const app = await createApiApp({ logger: [...LEVELS.slice(0, LEVELS.indexOf(config.LOG_LEVEL === 'debug' ? 'log' : config.LOG_LEVEL) + 1)] });
  await app.listen(config.PORT);
  if (processes <= 1) console.log(`Grid141 API listening on http://localhost:${config.PORT} (docs at /docs)`);
}
