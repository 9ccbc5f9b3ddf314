import type { Response } from 'supertest';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { CREDIT_CODE_CHARS, creditCodeCheckCharacter, idCheckCharacter } from '../../libs/contracts/src/check-characters.js';
import fc from 'fast-check';
import { enterpriseByCreditCode, personByIdNumber } from '../../apps/province-sandbox/src/sandbox-data.js';
import { DEMO_PASSWORD, newId, pointIn, rowCounts, startApi, waitFor } from './support/harness.js';
import type { ApiHarness } from './support/harness.js';
import { spawnApi } from './support/processes.js';
import type { AppProcess } from './support/processes.js';
import { sandboxKeys, spawnSandbox } from './support/sandbox.js';
import type { SandboxKeys, SandboxProcess } from './support/sandbox.js';

// Issue 10, "data on demand" (信息核查): a dispatcher looks a person up by 身份证号 or an enterprise by 统一社会信用代码
// through the IRS gateway — here the province sandbox, a separate process that verifies the X-BG-HMAC signature with
// its own code and answers synthetic records. The answer is masked (the raw values appear nowhere in the body), every
// lookup is one audit row with who, why, the event and the outcome (never the raw ID number), and every way of going
// wrong is a problem+json: 400 naming the field, 403, 404, 429, 502 (gateway failed, still audited), 503 (not configured).
// Build first (the sandbox and the unconfigured API run from dist): npx tsc -p tsconfig.build.json.
jest.setTimeout(120_000);

type Json = any;
const DIPU = '330523001';            // 递铺街道
const XIAOFENG = '330523105';        // 孝丰镇
const GRID = '330523001002001';      // 苕秀社区 第1网格
const GW = `gw.${GRID}`;
const TW = `tw.${DIPU}`;
const HANDLER = `h.${DIPU}-JG`;

const idNumber = (first17: string) => first17 + idCheckCharacter(first17);
const creditCode = (first17: string) => first17 + creditCodeCheckCharacter(first17);
/** The same 17 characters with another check character: well-formed, wrong check. */
const wrongCheck = (code: string, alphabet: string) => code.slice(0, 17) + [...alphabet].find((c) => c !== code[17])!;

const PERSON = idNumber('33052319850312123');            // a man born 1985 (odd sequence digit)
const NOBODY = idNumber('33052319900101000');            // sequence 000: the sandbox has no record
const ENTERPRISE = creditCode('91330523MA2B3C4D5');
const NO_ENTERPRISE = creditCode('91330523000000001');   // organisation code of zeros: no record

let keys: SandboxKeys;
let sandbox: SandboxProcess;
let api: ApiHarness;
let seq = 0;
const reasonOf = (tag: string) => `核实当事人身份（测试 ${tag}-${++seq}）`;

const lookup = async (user: string, kind: 'person' | 'enterprise', body: unknown) => (await api.as(user)).post(`/irs/${kind}`, body);
const auditRows = async (reason: string) => (await api.db.query(
  `SELECT actor_id::text AS "actorId", username, action, target, outcome, detail FROM audit_log WHERE action LIKE 'irs.%' AND detail->>'reason' = $1 ORDER BY id`, [reason])).rows;
const irsAuditCount = async () => (await api.db.query(`SELECT count(*)::int AS n FROM audit_log WHERE action LIKE 'irs.%'`)).rows[0].n as number;
const userId = async (username: string) => (await api.db.query(`SELECT id::text FROM users WHERE username = $1`, [username])).rows[0].id as string;
const sandboxCalls = async () => {
  const s = (await sandbox.admin<{ kinds: Record<string, { total: number }> }>('GET', '/_sandbox/stats')).body;
  return (s.kinds['irs-person']?.total ?? 0) + (s.kinds['irs-enterprise']?.total ?? 0);
};

/** A 4xx/5xx problem+json whose status is the HTTP status; with `field`, errors[] names it. */
function expectProblem(res: Response, status: number, field?: string): Json {
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${res.text.slice(0, 500)}`);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(res.text) as Json;
  expect(body.status).toBe(status);
  expect(typeof body.detail).toBe('string');
  if (field !== undefined) expect(body.errors?.map((e: { field: string }) => e.field)).toContain(field);
  return body;
}

async function report(user: string, grid: string): Promise<string> {
  const res = await (await api.as(user)).post('/events', { id: newId(), categoryCode: '0901', description: '路边暴露垃圾，需清运', location: await pointIn(api.db, grid) });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function withFaults<T>(faults: Record<string, number>, fn: () => Promise<T>): Promise<T> {
  expect((await sandbox.admin('POST', '/_sandbox/faults', faults)).status).toBe(200);
  try { return await fn(); } finally { await sandbox.admin('POST', '/_sandbox/faults', {}); }
}

beforeAll(async () => {
  keys = sandboxKeys();
  sandbox = await spawnSandbox(keys, { SANDBOX_TIMEOUT_HOLD_MS: '5000' });
  api = await startApi('irs', {
    GATEWAY_IRS_BASE_URL: sandbox.url, GATEWAY_IRS_ACCESS_KEY: keys.irs.accessKey, GATEWAY_IRS_SECRET_KEY: keys.irs.secretKey,
    // a gateway that does not answer is given up on within about two short timeouts
    GATEWAY_TIMEOUT_MS: '800', GATEWAY_BACKOFF_BASE_MS: '50', GATEWAY_BACKOFF_MAX_MS: '200',
    IRS_LOOKUPS_PER_MINUTE: '10000', IRS_LOOKUPS_PER_DAY: '100000',
  });
  // signed in before any test counts rows (a first login writes a session and an audit row)
  for (const user of [GW, TW, HANDLER, 'county.op', 'county.lead', 'admin']) await api.token(user);
}, 120_000);
afterAll(async () => {
  await sandbox?.stop();
  await api?.close();
});

describe('IRS lookups (信息核查)', () => {
  it('a dispatcher looks a person up for an event: masked answer, the raw values nowhere in the body, one audit row with who and why', async () => {
    const eventId = await report(GW, GRID);
    const raw = personByIdNumber(PERSON).body.data!;
    const reason = reasonOf('person');
    const before = await rowCounts(api.db);
    const calls = await sandboxCalls();

    const res = await lookup(TW, 'person', { idNumber: PERSON, reason, eventId });
    expect([res.status, res.body?.detail]).toEqual([200, undefined]);
    expect(res.body).toEqual({
      found: true, subject: `330523********${PERSON.slice(-4)}`, eventId, lookedUpAt: expect.any(String),
      person: {
        name: `${raw.name![0]}***`, idNumber: `330523********${PERSON.slice(-4)}`, gender: '男', birthYear: 1985,
        phone: `138****${raw.phone!.slice(-4)}`, address: '浙江省测试县***',
      },
    });
    // nothing of the record in clear: not the number, the name, the given name, the phone, the street, the birth date
    for (const value of [PERSON, PERSON.slice(6, 14), raw.name!, raw.name!.slice(1, 2), raw.phone!, raw.address!,
      raw.address!.slice('浙江省测试县'.length), raw.birthDate!]) {
      expect([value, res.text.includes(value)]).toEqual([value, false]);
    }
    // the gateway was really asked, signed (the sandbox refuses anything else), once
    expect(await sandboxCalls()).toBe(calls + 1);
    const received = (await sandbox.admin<{ items: { query: string; accessKey: string }[] }>('GET', '/_sandbox/received?kind=irs-person')).body.items;
    expect(received.at(-1)).toMatchObject({ query: `idNumber=${PERSON}`, accessKey: keys.irs.accessKey });

    // one audit row — the only write of a lookup — with who, the kind, the masked subject, why, the event and the outcome
    const rows = await auditRows(reason);
    expect(rows).toEqual([{
      actorId: await userId(TW), username: TW, action: 'irs.person.lookup', target: `330523********${PERSON.slice(-4)}`, outcome: 'ok',
      detail: { kind: 'person', subject: `330523********${PERSON.slice(-4)}`, subjectIndex: expect.stringMatching(/^[0-9a-f]{64}$/), reason, eventId,
        role: 'township_dispatcher', result: 'found' },
    }]);
    const after = await rowCounts(api.db);
    expect({ ...after, audit_log: 0 }).toEqual({ ...before, audit_log: 0 });
    expect(after.audit_log).toBe(before.audit_log! + 1);
    // the raw number, name, phone and address are in no audit row at all
    for (const value of [PERSON, raw.name!, raw.phone!, raw.address!]) {
      const n = (await api.db.query(`SELECT count(*)::int AS n FROM audit_log WHERE row_to_json(audit_log)::text LIKE '%' || $1 || '%'`, [value])).rows[0].n;
      expect([value, n]).toEqual([value, 0]);
    }
    // the same person again: the same blind index (every lookup of one person can be found without the number)
    const again = reasonOf('person-again');
    expect((await lookup('county.op', 'person', { idNumber: PERSON, reason: again })).status).toBe(200);
    expect((await auditRows(again))[0].detail.subjectIndex).toBe(rows[0].detail.subjectIndex);
  });

  it('an ID number ending in x is read as X (one spelling reaches the gateway and the audit)', async () => {
    let id = '';
    for (let n = 100; !id.endsWith('X'); n++) id = idNumber(`33052319700101${n}`);
    const res = await lookup(TW, 'person', { idNumber: id.toLowerCase(), reason: reasonOf('x') });
    expect(res.status).toBe(200);
    expect(res.body.subject).toBe(`330523********${id.slice(-4)}`);
    expect(res.body.person.idNumber.endsWith('X')).toBe(true);
  });

  it('an enterprise by its credit code: name, code and status shown, the legal representative masked, the address cut', async () => {
    const raw = enterpriseByCreditCode(ENTERPRISE).body.data!;
    const reason = reasonOf('enterprise');
    const res = await lookup('county.op', 'enterprise', { creditCode: ENTERPRISE.toLowerCase(), reason });
    expect([res.status, res.body?.detail]).toEqual([200, undefined]);
    expect(res.body).toEqual({
      found: true, subject: ENTERPRISE, eventId: null, lookedUpAt: expect.any(String),
      enterprise: { name: raw.name, creditCode: ENTERPRISE, legalPerson: `${raw.legalPerson![0]}*`, address: '浙江省测试县***', status: '存续',
        establishedOn: raw.establishedOn },
    });
    for (const value of [raw.legalPerson!, raw.address!, raw.address!.slice('浙江省测试县'.length)]) expect([value, res.text.includes(value)]).toEqual([value, false]);
    expect(await auditRows(reason)).toEqual([{
      actorId: await userId('county.op'), username: 'county.op', action: 'irs.enterprise.lookup', target: ENTERPRISE, outcome: 'ok',
      detail: { kind: 'enterprise', subject: ENTERPRISE, reason, eventId: null, role: 'county_operator', result: 'found' },
    }]);
  });

  it('no record is 200 found: false, audited as not_found', async () => {
    const r1 = reasonOf('nobody');
    const person = await lookup(TW, 'person', { idNumber: NOBODY, reason: r1 });
    expect([person.status, person.body]).toEqual([200, { found: false, subject: `330523********${NOBODY.slice(-4)}`, eventId: null, lookedUpAt: expect.any(String), person: null }]);
    expect((await auditRows(r1)).map((r) => [r.outcome, r.detail.result])).toEqual([['ok', 'not_found']]);
    const r2 = reasonOf('no-enterprise');
    const ent = await lookup(TW, 'enterprise', { creditCode: NO_ENTERPRISE, reason: r2 });
    expect([ent.status, ent.body.found, ent.body.enterprise]).toEqual([200, false, null]);
    expect((await auditRows(r2)).map((r) => [r.action, r.outcome, r.detail.result])).toEqual([['irs.enterprise.lookup', 'ok', 'not_found']]);
  });

  it('bad input is a 400 naming the field (check characters, reason, event id), and nothing is asked or written', async () => {
    const before = await rowCounts(api.db);
    const calls = await sandboxCalls();
    const reason = reasonOf('bad');
    const cases: ['person' | 'enterprise', Json, string, RegExp?][] = [
      ['person', { idNumber: PERSON }, 'reason'],
      ['person', { idNumber: PERSON, reason: '' }, 'reason'],
      ['person', { idNumber: PERSON, reason: '   核实   ' }, 'reason'],            // 2 characters once trimmed
      ['person', { idNumber: PERSON, reason: '核'.repeat(201) }, 'reason'],
      ['person', { idNumber: PERSON, reason: 42 }, 'reason'],
      ['person', { idNumber: wrongCheck(PERSON, '0123456789X'), reason }, 'idNumber', /GB 11643/],
      ['person', { idNumber: `${PERSON.slice(0, 10)}1399${PERSON.slice(14)}`, reason }, 'idNumber'],  // month 13
      ['person', { idNumber: PERSON.slice(0, 17), reason }, 'idNumber'],
      ['person', { idNumber: ` ${PERSON}`, reason }, 'idNumber'],
      ['person', { reason }, 'idNumber'],
      ['person', { idNumber: Number(PERSON.slice(0, 15)), reason }, 'idNumber'],
      ['person', { idNumber: PERSON, reason, eventId: 'not-a-uuid' }, 'eventId'],
      ['person', { idNumber: PERSON, reason, eventId: null }, 'eventId'],
      ['person', { idNumber: PERSON, reason, creditCode: ENTERPRISE }, 'creditCode'],
      ['enterprise', { creditCode: wrongCheck(ENTERPRISE, CREDIT_CODE_CHARS), reason }, 'creditCode', /GB 32100/],
      ['enterprise', { creditCode: `${ENTERPRISE.slice(0, 10)}I${ENTERPRISE.slice(11)}`, reason }, 'creditCode'],
      ['enterprise', { creditCode: `91${'X'.repeat(6)}${ENTERPRISE.slice(8)}`, reason }, 'creditCode'],
      ['enterprise', { creditCode: ENTERPRISE, reason: ' \n\t ' }, 'reason'],
      ['enterprise', { creditCode: ENTERPRISE, reason, idNumber: PERSON }, 'idNumber'],
    ];
    for (const [kind, body, field, detail] of cases) {
      const problem = expectProblem(await lookup(TW, kind, body), 400, field);
      if (detail) expect(problem.detail).toMatch(detail);
    }
    // a 400 does not repeat the number it refused
    const refused = await lookup(TW, 'person', { idNumber: wrongCheck(PERSON, '0123456789X'), reason });
    expect(refused.text).not.toContain(PERSON.slice(0, 17));
    expect(await sandboxCalls()).toBe(calls);
    expect(await rowCounts(api.db)).toEqual(before);
  });

  it('grid workers, handlers, leaders and the administrator are refused with 403; nothing is asked', async () => {
    const calls = await sandboxCalls();
    const before = await irsAuditCount();
    for (const user of [GW, HANDLER, 'county.lead', 'admin']) {
      expectProblem(await lookup(user, 'person', { idNumber: PERSON, reason: reasonOf('denied') }), 403);
      expectProblem(await lookup(user, 'enterprise', { creditCode: ENTERPRISE, reason: reasonOf('denied') }), 403);
    }
    expect(await sandboxCalls()).toBe(calls);
    expect(await irsAuditCount()).toBe(before);
    // the denials are in the audit log as denials (ProblemFilter), and the body's number is not
    const denials = (await api.db.query(`SELECT target, detail FROM audit_log WHERE outcome = 'denied' AND action LIKE 'POST %/irs/person' AND username = $1`, [GW])).rows;
    expect(denials).toHaveLength(1);
    expect(JSON.stringify(denials)).not.toContain(PERSON);
  });

  it('an eventId the caller may not see is a 404, not asked, not audited; the county sees every township\'s event', async () => {
    const grid = (await api.db.query(`SELECT code FROM regions WHERE level = 'grid' AND code LIKE $1 || '%' ORDER BY code LIMIT 1`, [XIAOFENG])).rows[0].code as string;
    const elsewhere = await report(`gw.${grid}`, grid);
    const calls = await sandboxCalls();
    const before = await irsAuditCount();
    expectProblem(await lookup(TW, 'person', { idNumber: PERSON, reason: reasonOf('elsewhere'), eventId: elsewhere }), 404);
    expectProblem(await lookup(TW, 'enterprise', { creditCode: ENTERPRISE, reason: reasonOf('elsewhere'), eventId: newId() }), 404);
    expect(await sandboxCalls()).toBe(calls);
    expect(await irsAuditCount()).toBe(before);
    const reason = reasonOf('county');
    const county = await lookup('county.op', 'person', { idNumber: PERSON, reason, eventId: elsewhere.toUpperCase() });
    expect([county.status, county.body.eventId]).toEqual([200, elsewhere]);
    expect((await auditRows(reason))[0].detail.eventId).toBe(elsewhere);
  });

  it('a failing gateway (5xx, timeouts, dropped connections) is a 502 problem, never a 500, and the lookup is still audited', async () => {
    for (const [name, faults] of [['5xx', { failRate: 1 }], ['timeout', { timeoutRate: 1 }], ['drop', { dropRate: 1 }]] as const) {
      const reason = reasonOf(`fault-${name}`);
      const started = Date.now();
      const res = await withFaults(faults, () => lookup(TW, 'person', { idNumber: PERSON, reason }));
      const problem = expectProblem(res, 502);
      expect([name, problem.type]).toEqual([name, 'urn:grid141:problem:gateway-failure']);
      expect(res.text).not.toContain(PERSON);
      // two attempts of at most 800 ms each, not the relay's budget
      expect([name, Date.now() - started < 6000]).toEqual([name, true]);
      const rows = await auditRows(reason);
      expect(rows.map((r) => [r.username, r.outcome, r.detail.result, r.detail.failure, r.detail.attempts, r.detail.subject]))
        .toEqual([[TW, 'failed', 'gateway_error', 'exhausted', 2, `330523********${PERSON.slice(-4)}`]]);
      expect(JSON.stringify(rows)).not.toContain(PERSON);
    }
    // and the gateway back: answers again
    const ok = await lookup(TW, 'enterprise', { creditCode: ENTERPRISE, reason: reasonOf('back') });
    expect(ok.status).toBe(200);
  });

  it('malformed bodies of every kind (fuzz) are 4xx problem+json, ask nothing and write nothing; a valid request still answers 200', async () => {
    const before = await rowCounts(api.db);
    const calls = await sandboxCalls();
    const client = await api.as(TW);
    const base = () => ({ person: { idNumber: PERSON, reason: '核实当事人身份' }, enterprise: { creditCode: ENTERPRISE, reason: '核实企业登记信息' } });
    const strangeText = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.constantFrom('\u0000', '\uD800', '\uDFFF', '\u202E330523', '３３０５２３１９８５０３１２１２３４', '１２３４５６７８９０', '𠀀𠀁𠀂𠀃', '<script>', "' OR 1=1 --", '${jndi:x}', ''),
      fc.string({ minLength: 201, maxLength: 3000 }),
    );
    const wrongType = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }));
    type Mutation = { kind: 'person' | 'enterprise'; body?: unknown; raw?: string; contentType?: string };
    const mutation: fc.Arbitrary<Mutation> = fc.constantFrom<'person' | 'enterprise'>('person', 'enterprise').chain((kind) => {
      const key = kind === 'person' ? 'idNumber' : 'creditCode';
      const valid = base()[kind] as Record<string, unknown>;
      return fc.oneof(
        // one field of a valid body replaced by a value of a wrong type or by strange text (never a valid key or reason)
        fc.record({ field: fc.constantFrom(key, 'reason', 'eventId'), value: fc.oneof(wrongType, strangeText) })
          // (a reason that happens to be a valid one is not a malformed body)
          .filter(({ field, value }) => !(field === 'reason' && typeof value === 'string' && [...value.trim()].length >= 4 && [...value.trim()].length <= 200
            && value.isWellFormed() && !value.includes('\u0000')))
          .map(({ field, value }) => ({ kind, body: { ...valid, [field]: value } })),
        // a required field missing
        fc.constantFrom(key, 'reason').map((field) => ({ kind, body: Object.fromEntries(Object.entries(valid).filter(([k]) => k !== field)) })),
        // an extra field, whatever it holds
        fc.record({ name: fc.string({ minLength: 1, maxLength: 30 }).filter((n) => !['idNumber', 'creditCode', 'reason', 'eventId'].includes(n)), value: fc.jsonValue() })
          .map(({ name, value }) => ({ kind, body: { ...valid, [name]: value } })),
        // a body that is not an object at all
        fc.oneof(fc.jsonValue().filter((v) => v === null || typeof v !== 'object' || Array.isArray(v)), fc.constant([valid]))
          .map((body) => ({ kind, raw: JSON.stringify(body) })),
        // text that is not JSON, or JSON in another media type
        fc.oneof(fc.constantFrom('{', '{"idNumber":', 'null x', '\uFEFF{}', `{"${key}":"1"`), fc.string({ maxLength: 50 }).filter((s) => { try { JSON.parse(s); return false; } catch { return true; } }))
          .map((raw) => ({ kind, raw })),
        fc.constant({ kind, raw: JSON.stringify(valid), contentType: 'text/plain' }),
        // deep nesting and huge bodies
        fc.integer({ min: 40, max: 200 }).map((depth) => ({ kind, raw: `{"reason":${'['.repeat(depth)}${']'.repeat(depth)}}` })),
        // 900 kB (under the 1 MB limit: refused by the length rule) and 1.2 MB (413)
        fc.constantFrom(300_000, 400_000).map((n) => ({ kind, body: { ...valid, reason: '核'.repeat(n) } })),
      );
    });

    const statuses = new Map<number, number>();
    await fc.assert(fc.asyncProperty(mutation, async (m) => {
      let res: Response;
      if (m.contentType) res = await api.http().post(`/api/v1/irs/${m.kind}`).set('Authorization', `Bearer ${await api.token(TW)}`).set('Content-Type', m.contentType).send(m.raw!);
      else if (m.raw !== undefined) res = await client.raw(`/irs/${m.kind}`, m.raw);
      else res = await client.post(`/irs/${m.kind}`, m.body);
      const where = `${m.kind} ${(m.raw ?? JSON.stringify(m.body) ?? '').slice(0, 200)} → ${res.status} ${res.text.slice(0, 200)}`;
      expect([where, res.status >= 400 && res.status < 500]).toEqual([where, true]);
      expect([where, String(res.headers['content-type'])]).toEqual([where, expect.stringMatching(/^application\/problem\+json/)]);
      expect([where, JSON.parse(res.text).status]).toEqual([where, res.status]);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    }), { numRuns: 400, seed: Number(process.env.FUZZ_SEED ?? 141) });
    // every kind of refusal was reached: field rules, the size limit, the media type
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(400);
    expect([...statuses.keys()].sort()).toEqual(expect.arrayContaining([400, 413, 415]));
    expect(await sandboxCalls()).toBe(calls);
    expect(await rowCounts(api.db)).toEqual(before);

    // the control: a valid request after all that
    const control = await client.post('/irs/person', { idNumber: PERSON, reason: '核实当事人身份（对照）' });
    expect([control.status, control.body.found]).toEqual([200, true]);
  });
});

describe('IRS lookups on an API without the gateway configured', () => {
  let spawned: AppProcess;
  let token: string;
  const TW2 = 'tw.330523002';
  const post = (kind: string, body: unknown) => fetch(`${spawned.url}/api/v1/irs/${kind}`, {
    method: 'POST', body: JSON.stringify(body), headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  });

  beforeAll(async () => {
    // the built API on the same database, without GATEWAY_IRS_* and with limits of 3 a minute and a day (the 4th is over
    // both, so a minute turning between the requests cannot change the answer)
    spawned = await spawnApi({ GATEWAY_IRS_BASE_URL: '', GATEWAY_IRS_ACCESS_KEY: '', GATEWAY_IRS_SECRET_KEY: '', IRS_LOOKUPS_PER_MINUTE: '3', IRS_LOOKUPS_PER_DAY: '3' });
    const login = await fetch(`${spawned.url}/api/v1/auth/login`, { method: 'POST', body: JSON.stringify({ username: TW2, password: DEMO_PASSWORD }),
      headers: { 'content-type': 'application/json' } });
    expect(login.status).toBe(200);
    token = ((await login.json()) as Json).accessToken;
  }, 60_000);
  afterAll(async () => { await spawned?.stop(); });

  it('answers 503 not configured (audited as failed); past the per-user limit, 429 (audited as denied)', async () => {
    const calls = await sandboxCalls();
    const reasons = [1, 2, 3, 4].map((n) => reasonOf(`unconfigured-${n}`));
    for (const reason of reasons.slice(0, 3)) {
      const res = await post('person', { idNumber: PERSON, reason });
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const body = (await res.json()) as Json;
      expect([body.status, body.type, body.detail]).toEqual([503, 'urn:grid141:problem:not-configured', expect.stringContaining('GATEWAY_IRS_BASE_URL')]);
    }
    const limited = await post('enterprise', { creditCode: ENTERPRISE, reason: reasons[3] });
    expect(limited.status).toBe(429);
    expect(((await limited.json()) as Json).type).toBe('urn:grid141:problem:rate-limited');
    const rows = await waitFor('the four audit rows', async () => {
      const all = (await Promise.all(reasons.map(auditRows))).flat();
      return all.length === 4 ? all : null;
    }, 5000);
    expect(rows.map((r) => [r.username, r.outcome, r.detail.result])).toEqual([
      [TW2, 'failed', 'not_configured'], [TW2, 'failed', 'not_configured'], [TW2, 'failed', 'not_configured'], [TW2, 'denied', 'rate_limited'],
    ]);
    expect(JSON.stringify(rows)).not.toContain(PERSON);
    expect(await sandboxCalls()).toBe(calls);
  });
});
