import { appendFileSync } from 'node:fs';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { Pool } from 'undici';
import type { Case } from './cases.js';

/** What came back for one case. */
export interface Answer { status: number; contentType: string; text: string }

/** A case whose answer breaks the contract (a 2xx, a 5xx, not problem+json, a field not named …). */
export interface Violation { c: Case; answer: Answer; problem: string }

/** Sends cases over HTTP exactly as built (raw path and query, raw body bytes). */
export class Sender {
  private readonly pool: Pool;
  constructor(origin: string, private readonly tokens: Map<string, string>) {
    this.pool = new Pool(origin, { connections: 8, headersTimeout: 30_000, bodyTimeout: 30_000 });
  }

  async send(c: Case): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (c.badAuth !== undefined) { if (c.badAuth !== null) headers.authorization = c.badAuth; }
    else if (c.user) {
      const token = this.tokens.get(c.user);
      if (!token) throw new Error(`no token for ${c.user}`);
      headers.authorization = `Bearer ${token}`;
    }
    if (c.contentType) headers['content-type'] = c.contentType;
    Object.assign(headers, c.headers);
    try {
      // a chunked case goes out as a stream in 64 KB pieces (undici then sends Transfer-Encoding: chunked itself)
      const chunked = headers['transfer-encoding'] === 'chunked';
      if (chunked) delete headers['transfer-encoding'];
      const body = chunked && c.body ? Readable.from(Array.from({ length: Math.ceil(c.body.length / 65536) }, (_, i) => c.body!.subarray(i * 65536, (i + 1) * 65536))) : c.body;
      const res = await this.pool.request({ method: c.method as 'GET', path: c.url, headers, body });
      const buf = Buffer.from(await res.body.arrayBuffer());
      const ct = res.headers['content-type'];
      return { status: res.statusCode, contentType: Array.isArray(ct) ? ct.join(',') : ct ?? '', text: buf.subarray(0, 4_000_000).toString('utf8') };
    } catch (e) {
      // a dropped connection is an answer too (and a bad one)
      return { status: 0, contentType: '', text: `request failed: ${(e as Error).message}` };
    }
  }

  close(): Promise<void> { return this.pool.close(); }
}

const norm = (f: string) => f.replace(/\[(\w*)\]/g, '.$1').replace(/^\./, '');
/** Does the answer's field name the broken one (itself, a parent or a child path)? */
export function related(answerField: string, broken: string): boolean {
  const a = norm(answerField);
  const b = norm(broken);
  return a === b || a.startsWith(`${b}.`) || (a.length > 0 && b.startsWith(`${a}.`));
}

/** Every answer to an invalid request: 4xx application/problem+json, body.status = HTTP status, the broken field named on 400/422. */
export function judge(c: Case, a: Answer): string | null {
  if (a.status === 0) return a.text;
  if (a.status < 400) return `${a.status}: an invalid request was accepted`;
  if (a.status >= 500) return `${a.status}: server error`;
  if (!/^application\/problem\+json\b/i.test(a.contentType)) return `${a.status} with content-type "${a.contentType}", not application/problem+json`;
  let body: { status?: unknown; errors?: { field?: unknown }[] };
  try { body = JSON.parse(a.text); } catch { return `${a.status}: body is not JSON`; }
  if (body.status !== a.status) return `${a.status}: body.status is ${JSON.stringify(body.status)}`;
  if (c.field !== undefined && (a.status === 400 || a.status === 422) && c.badAuth === undefined) {
    const names = [c.field, ...(c.alt ?? [])];
    const fields = Array.isArray(body.errors) ? body.errors.map((e) => String(e.field)) : [];
    if (!fields.some((f) => names.some((n) => related(f, n)))) return `${a.status} does not name field "${c.field}" (errors[].field: ${JSON.stringify(fields)})`;
  }
  return null;
}

/** Runs cases with a few requests in flight; returns the violations. */
export async function runCases(sender: Sender, cases: Case[], concurrency: number, onViolation: (v: Violation) => void,
  onAnswer: (c: Case, a: Answer, ms: number) => void = () => undefined): Promise<Violation[]> {
  const out: Violation[] = [];
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++]!;
      const t = Date.now();
      const answer = await sender.send(c);
      onAnswer(c, answer, Date.now() - t);
      const problem = judge(c, answer);
      if (problem) { const v = { c, answer, problem }; out.push(v); onViolation(v); }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}

/** Row counts of every table of the public schema (the harness's count). */
export { rowCounts as tableCounts } from '../harness.js';

export function countChanges(before: Record<string, number>, after: Record<string, number>): string[] {
  return [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((t) => before[t] !== after[t])
    .map((t) => `${t}: ${before[t] ?? 'absent'} -> ${after[t] ?? 'absent'}`);
}

const show = (b: Buffer | undefined) => {
  if (!b) return '(none)';
  const text = b.toString('utf8');
  const bad = !Buffer.from(text, 'utf8').equals(b);
  const head = text.length > 300 ? `${text.slice(0, 240)}…${text.slice(-40)}` : text;
  return `${JSON.stringify(head)} (${b.length} bytes${bad ? ', not valid UTF-8' : ''})`;
};

/** The exact request and answer of a violation, for the findings file. */
export function describe(v: Violation): string {
  const { c, answer: a } = v;
  const who = c.badAuth !== undefined ? `Authorization: ${c.badAuth === null ? '(none)' : JSON.stringify(c.badAuth.slice(0, 80))}` : c.user ? `as ${c.user}` : 'no token (public)';
  const url = c.url.length > 300 ? `${c.url.slice(0, 260)}…(${c.url.length} chars)` : c.url;
  return [
    `- **${c.op}** — ${c.kind}${c.field !== undefined ? ` (field \`${c.field}\`)` : ''}: ${v.problem}`,
    `  - request: \`${c.method} ${url}\` ${who}${c.contentType ? `, Content-Type: ${c.contentType}` : ''}; body: ${show(c.body)}`,
    `  - answer: ${a.status} ${a.contentType}: ${JSON.stringify(a.text.slice(0, 400))}`,
  ].join('\n');
}

/** Appends to FUZZ_FINDINGS_FILE when set (a local run writing its findings down); CI leaves it unset. */
export function recordFinding(text: string): void {
  const file = process.env.FUZZ_FINDINGS_FILE;
  if (file) appendFileSync(file, `${text}\n`);
}

/** Sends raw bytes over a fresh socket (for requests that are not valid HTTP); returns the status, headers and body it got. */
export function rawHttp(port: number, request: string | Buffer): Promise<Answer> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(request));
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy());
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n', 2);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      const contentType = /^content-type:\s*(.*)$/im.exec(head)?.[1]?.trim() ?? '';
      resolve({ status, contentType, text: status ? body : `no HTTP answer: ${JSON.stringify(text.slice(0, 200))}` });
    });
  });
}
