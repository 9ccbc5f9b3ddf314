import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { ROOT } from './harness.js';

/** A port free right now on the loopback interface. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A built app (dist) running as a child process; its stderr is kept for the failure message. */
export interface AppProcess {
  child: ChildProcess;
  port: number;
  url: string;
  stderr: () => string;
  /** SIGTERM (graceful) or SIGKILL; resolves when the process has exited. */
  stop: (signal?: NodeJS.Signals) => Promise<void>;
}

async function spawnApp(script: string, port: number, healthPath: string, env: Record<string, string>): Promise<AppProcess> {
  const child = spawn(process.execPath, [path.join(ROOT, script)], {
    env: { ...process.env, LOG_LEVEL: 'error', ...env }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${script} exited (${child.exitCode}): ${stderr}`);
    try { if ((await fetch(`${url}${healthPath}`)).ok) break; } catch { /* not up yet */ }
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`${script} did not become ready: ${stderr}`); }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child, port, url, stderr: () => stderr,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** `node dist/apps/api/src/main.js` on a free port (one process), with the test file's environment (configureEnv). */
export async function spawnApi(env: Record<string, string> = {}): Promise<AppProcess> {
  const port = await freePort();
  return spawnApp('dist/apps/api/src/main.js', port, '/health/live', { PORT: String(port), API_PROCESSES: '1', ...env });
}

/** `node dist/apps/worker/src/main.js`, ready once its health endpoint answers. */
export async function spawnWorker(env: Record<string, string> = {}): Promise<AppProcess> {
  const port = await freePort();
  return spawnApp('dist/apps/worker/src/main.js', port, '/health/ready', { WORKER_HEALTH_PORT: String(port), ...env });
}

/**
 * A TCP proxy on a free port forwarding to a target that can be switched (what a load balancer does when a process
 * dies), and able to cut every connection through it at once (a network drop, the processes staying up).
 */
export interface Switch {
  url: string;
  point: (port: number) => void;
  cut: () => void;
  close: () => Promise<void>;
}

export async function tcpSwitch(targetPort: number): Promise<Switch> {
  let target = targetPort;
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    open.add(client).add(upstream);
    const end = () => { client.destroy(); upstream.destroy(); open.delete(client); open.delete(upstream); };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    point: (p) => { target = p; },
    cut: () => { for (const s of open) s.destroy(); open.clear(); },
    close: async () => {
      for (const s of open) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
