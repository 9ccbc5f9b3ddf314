import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import net from 'node:net';
import pg from 'pg';
import { configureEnv, dbUrl, DEMO_PASSWORD, dropDatabase, freshDatabase, newId, pointIn, waitFor } from './support/harness.js';
import { spawnApi } from './support/processes.js';
import type { AppProcess } from './support/processes.js';

jest.setTimeout(60_000);

// A stopping API (SIGTERM: a deploy, a rolling restart) answers the requests it is already serving before it closes the
// database pool, and takes no new connections meanwhile (Nest closes the HTTP server before the shutdown hooks that end
// the pool and Redis; this holds the order to that).
let dbName: string;
let db: pg.Pool;
let api: AppProcess;
beforeAll(async () => {
  ({ name: dbName } = await freshDatabase('graceful_stop'));
  configureEnv(dbName);
  db = new pg.Pool({ connectionString: dbUrl(dbName), max: 2 });
  api = await spawnApi();
});
afterAll(async () => {
  await api?.stop('SIGKILL');
  await db?.end();
  if (dbName) await dropDatabase(dbName);
});

/**
 * A raw HTTP/1.1 request sent with `Expect: 100-continue`: the server answers "100 Continue" once it has read the headers
 * and is running the request (Node emits 'request' as it sends it), and the body follows only when the test says.
 */
function runningRequest(port: number, path: string, token: string, body: string) {
  const socket = net.connect(port, '127.0.0.1');
  let answer = '';
  socket.on('data', (d) => { answer += d.toString(); });
  const ended = new Promise<string>((resolve) => { socket.on('close', () => resolve(answer)); socket.on('error', () => undefined); });
  const bytes = Buffer.from(body);
  socket.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\n`
    + `Content-Length: ${bytes.length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`);
  return { running: () => answer.includes('100 Continue'), finish: () => socket.write(bytes), ended };
}

const refused = (port: number) => new Promise<boolean>((resolve) => {
  const s = net.connect(port, '127.0.0.1');
  s.once('connect', () => { s.destroy(); resolve(false); });
  s.once('error', () => resolve(true));
});

describe('graceful stop', () => {
  it('a request running when SIGTERM arrives is answered in full; new connections are refused meanwhile', async () => {
    const login = await fetch(`${api.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'gw.330523001002001', password: DEMO_PASSWORD }) });
    const { accessToken } = await login.json() as { accessToken: string };
    const id = newId();
    const report = runningRequest(api.port, '/api/v1/events', accessToken, JSON.stringify({ id, categoryCode: '0901', description: '停机时的上报',
      location: await pointIn(db, '330523001002001') }));
    // the API is running the request (it has read its headers) before it is told to stop
    await waitFor('the request to be running', async () => report.running(), 10_000);
    const exited = new Promise<string>((resolve) => api.child.once('exit', (code, signal) => resolve(`${code ?? signal}`)));
    api.child.kill('SIGTERM');
    await waitFor('new connections to be refused', () => refused(api.port), 10_000);
    expect(api.child.exitCode).toBeNull(); // still serving the running request
    report.finish();
    const answer = await report.ended;
    expect(answer).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 201 /);
    expect(answer).toContain(id);
    expect(['0', 'SIGTERM']).toContain(await exited); // Nest re-raises the signal once closed
    expect(api.stderr()).not.toMatch(/Cannot use a pool after calling end/);
    expect((await db.query(`SELECT count(*)::int AS n FROM events WHERE id = $1`, [id])).rows[0].n).toBe(1);
  });
});
