import { ProvinceSandbox } from './sandbox-server.js';

/**
 * `node dist/apps/province-sandbox/src/main.js` — the stand-in for the provincial gateways (see sandbox-server.ts).
 *
 *   SANDBOX_PORT (default 4141), SANDBOX_HOST (default 127.0.0.1: an admin API without login must not face a network)
 *   SANDBOX_ZWDD_KEYS, SANDBOX_IRS_KEYS   accepted key pairs, `AK:SK,AK2:SK2` (at least one pair; no defaults)
 *   SANDBOX_PUSH_URL, SANDBOX_PUSH_VISIT_URL, SANDBOX_PUSH_ACCESS_KEY, SANDBOX_PUSH_SECRET_KEY, SANDBOX_PUSH_SCHEME (zwdd|irs)
 *   SANDBOX_SKEW_SECONDS (90), SANDBOX_TIMEOUT_HOLD_MS (60000)
 */
function keyPairs(name: string, value: string | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of (value ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const i = part.indexOf(':');
    if (i <= 0 || i === part.length - 1) throw new Error(`${name}: expected AK:SK pairs separated by commas`);
    map.set(part.slice(0, i), part.slice(i + 1));
  }
  return map;
}

function int(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name}: must be an integer from ${min} to ${max}`);
  return n;
}

async function main(): Promise<void> {
  const env = process.env;
  const zwddKeys = keyPairs('SANDBOX_ZWDD_KEYS', env.SANDBOX_ZWDD_KEYS);
  const irsKeys = keyPairs('SANDBOX_IRS_KEYS', env.SANDBOX_IRS_KEYS);
  if (zwddKeys.size + irsKeys.size === 0) throw new Error('SANDBOX_ZWDD_KEYS / SANDBOX_IRS_KEYS: set at least one AK:SK pair (there are no default keys)');
  const pushAk = env.SANDBOX_PUSH_ACCESS_KEY;
  const pushSk = env.SANDBOX_PUSH_SECRET_KEY;
  if (Boolean(pushAk) !== Boolean(pushSk)) throw new Error('SANDBOX_PUSH_ACCESS_KEY, SANDBOX_PUSH_SECRET_KEY: set both or neither');
  const scheme = env.SANDBOX_PUSH_SCHEME ?? 'zwdd';
  if (scheme !== 'zwdd' && scheme !== 'irs') throw new Error('SANDBOX_PUSH_SCHEME: must be zwdd or irs');
  const sandbox = new ProvinceSandbox({
    zwddKeys, irsKeys,
    skewSeconds: int('SANDBOX_SKEW_SECONDS', env.SANDBOX_SKEW_SECONDS, 90, 1, 3600),
    timeoutHoldMs: int('SANDBOX_TIMEOUT_HOLD_MS', env.SANDBOX_TIMEOUT_HOLD_MS, 60_000, 100, 600_000),
    push: pushAk && pushSk ? { url: env.SANDBOX_PUSH_URL, visitUrl: env.SANDBOX_PUSH_VISIT_URL, accessKey: pushAk, secretKey: pushSk, scheme } : undefined,
  });
  const port = await sandbox.listen(int('SANDBOX_PORT', env.SANDBOX_PORT, 4141, 0, 65535), env.SANDBOX_HOST ?? '127.0.0.1');
  process.stdout.write(`province sandbox listening on ${port}\n`);
  const stop = () => { sandbox.close().finally(() => process.exit(0)); };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`province sandbox: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
