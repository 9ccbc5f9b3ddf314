import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './processes.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Fresh random key pairs for one test file: nothing published can sign a call the sandbox accepts. */
export function sandboxKeys() {
  const secret = () => randomBytes(24).toString('base64url');
  return {
    zwdd: { accessKey: `zwdd_${randomBytes(4).toString('hex')}`, secretKey: secret() },
    irs: { accessKey: `BCDSGA_${randomBytes(8).toString('hex')}`, secretKey: `BCDSGS_${secret()}` },
    push: { accessKey: `province_${randomBytes(4).toString('hex')}`, secretKey: secret() },
  };
}
export type SandboxKeys = ReturnType<typeof sandboxKeys>;

export interface SandboxProcess {
  url: string;
  admin: <T = Record<string, unknown>>(method: string, p: string, body?: unknown) => Promise<{ status: number; body: T }>;
  stderr: () => string;
  stop: () => Promise<void>;
}

/** `node dist/apps/province-sandbox/src/main.js` (build first), ready once /_sandbox/health answers (30 s deadline). */
export async function spawnSandbox(keys: SandboxKeys, env: Record<string, string> = {}): Promise<SandboxProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/apps/province-sandbox/src/main.js')], {
    env: {
      ...process.env, SANDBOX_PORT: String(port),
      SANDBOX_ZWDD_KEYS: `${keys.zwdd.accessKey}:${keys.zwdd.secretKey}`,
      SANDBOX_IRS_KEYS: `${keys.irs.accessKey}:${keys.irs.secretKey}`,
      SANDBOX_PUSH_ACCESS_KEY: keys.push.accessKey, SANDBOX_PUSH_SECRET_KEY: keys.push.secretKey,
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`province sandbox exited (${child.exitCode}): ${stderr}`);
    try { if ((await fetch(`${url}/_sandbox/health`)).ok) break; } catch { /* not up yet */ }
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`province sandbox did not become ready: ${stderr}`); }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url, stderr: () => stderr,
    admin: async <T>(method: string, p: string, body?: unknown) => {
      const res = await fetch(`${url}${p}`, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { 'content-type': 'application/json' } });
      return { status: res.status, body: (await res.json()) as T };
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
