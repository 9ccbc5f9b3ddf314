import net from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Response } from 'supertest';
import { newId, pointIn, rowCounts, startApi } from './support/harness.js';
import type { ApiHarness } from './support/harness.js';

jest.setTimeout(60_000);

// Issue 12, bad input on every route (the body guard and the validation pipe, before any handler): size and depth
// limits checked on the raw bytes, prototype keys refused, text well-formed Unicode without NUL, one problem+json
// answer naming the field, nothing written.
const GRID = '330523001002001';
const GW = `gw.${GRID}`;

let api: ApiHarness;
let token: string;
beforeAll(async () => {
  api = await startApi('input_guard');
  token = await api.token(GW);
}, 120_000);
afterAll(async () => { await api?.close(); });

function expectProblem(res: Response, status: number, field?: string) {
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${res.text.slice(0, 300)}`);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(res.text) as { status: number; detail: string; errors?: { field: string; message: string }[] };
  expect(body.status).toBe(status);
  if (field !== undefined) expect(body.errors?.map((e) => e.field)).toContain(field);
  return body;
}

const rawPost = (url: string, body: string | Buffer, auth = true) => {
  const req = api.http().post(`/api/v1${url}`).set('Content-Type', 'application/json');
  // a Buffer goes out as its bytes (superagent would otherwise JSON-encode it)
  return (auth ? req.set('Authorization', `Bearer ${token}`) : req).serialize((b: unknown) => b as string).send(body as string);
};

async function reportJson(extra = ''): Promise<string> {
  const at = await pointIn(api.db, GRID);
  return `{"id":"${newId()}","categoryCode":"0901","description":"路边暴露垃圾","location":{"lng":${at.lng},"lat":${at.lat}}${extra}}`;
}

/** Runs `fn`, then checks that no table changed (audit_log included: an input refusal is not a denial). */
async function unchanged(fn: () => Promise<void>) {
  const before = await rowCounts(api.db);
  await fn();
  expect(await rowCounts(api.db)).toEqual(before);
}

describe('JSON bodies are checked before parsing turns into work', () => {
  it('nesting deeper than 32 levels is 400 on body, with or without a token, whatever the route', async () => {
    await unchanged(async () => {
      const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
      for (const url of ['/events', '/auth/login', '/auth/refresh']) expectProblem(await rawPost(url, deep), 400, 'body');
      expectProblem(await rawPost('/auth/login', deep, false), 400, 'body');
      const nested = await reportJson(`,"address":${'{"a":'.repeat(40)}1${'}'.repeat(40)}`);
      expectProblem(await rawPost('/events', nested), 400, 'body');
    });
    // brackets inside strings do not count
    const ok = await rawPost('/events', await reportJson(`,"address":"${'[{'.repeat(50)}"`));
    expect(ok.status).toBe(201);
  });

  it('invalid UTF-8 bytes are 400 on body', async () => {
    await unchanged(async () => {
      const json = Buffer.from(await reportJson(), 'utf8');
      const at = json.indexOf(Buffer.from('路'));
      const broken = Buffer.concat([json.subarray(0, at), Buffer.from([0xe8, 0xff]), json.subarray(at + 3)]);
      expectProblem(await rawPost('/events', broken), 400, 'body');
      expectProblem(await rawPost('/auth/login', Buffer.from([0x7b, 0x22, 0xc0, 0xaf, 0x22, 0x3a, 0x31, 0x7d]), false), 400, 'body');
    });
  });

  it('a lone surrogate or a NUL in any string or key is 400 naming the field', async () => {
    await unchanged(async () => {
      const at = await pointIn(api.db, GRID);
      const base = { id: newId(), categoryCode: '0901', location: { lng: at.lng, lat: at.lat } };
      const withDescription = (d: string) => JSON.stringify({ ...base, description: 'x' }).replace('"description":"x"', `"description":"${d}"`);
      expectProblem(await rawPost('/events', withDescription('abc\\ud800def')), 400, 'description');
      expectProblem(await rawPost('/events', withDescription('\\udfff')), 400, 'description');
      expectProblem(await rawPost('/events', withDescription('a\\u0000b')), 400, 'description');
      expectProblem(await rawPost('/auth/login', '{"username":"\\ud83d","password":"x"}', false), 400, 'username');
      expectProblem(await rawPost('/events', await reportJson(',"k\\u0000":1')), 400);
    });
    // a well-formed astral character (a surrogate pair) is fine
    const ok = await rawPost('/events', JSON.stringify({ ...(JSON.parse(await reportJson())), description: '垃圾 \ud83d\uddd1' }));
    expect(ok.status).toBe(201);
    expect(ok.body.description).toBe('垃圾 🗑');
  });

  it('__proto__, constructor, prototype and other Object.prototype member keys are refused, not dropped, at any depth', async () => {
    await unchanged(async () => {
      for (const key of ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf']) {
        expectProblem(await rawPost('/events', await reportJson(`,"${key}":{"isAdmin":true}`)), 400, key);
        const nested = (await reportJson()).replace('"location":{', `"location":{"${key}":{"x":1},`);
        expectProblem(await rawPost('/events', nested), 400, `location.${key}`);
        expectProblem(await rawPost('/auth/login', `{"username":"admin","password":"x","${key}":{"role":"admin"}}`, false), 400, key);
      }
      expectProblem(await api.http().get('/api/v1/events?__proto__=x').set('Authorization', `Bearer ${token}`), 400, '__proto__');
      expectProblem(await api.http().get('/api/v1/events?constructor=x').set('Authorization', `Bearer ${token}`), 400, 'constructor');
      expectProblem(await api.http().get('/api/v1/regions?valueOf=').set('Authorization', `Bearer ${token}`), 400, 'valueOf');
      expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    });
  });

  it('a JSON body declared in another charset (UTF-16) is 415 on body: JSON is UTF-8', async () => {
    await unchanged(async () => {
      const body = Buffer.from('{"username":"tw.330523105","password":"Grid141!demo"}', 'utf16le');
      const res = await api.http().post('/api/v1/auth/login').set('Content-Type', 'application/json; charset=utf-16le')
        .serialize((b: unknown) => b as string).send(body as unknown as string);
      expectProblem(res, 415, 'body');
      const latin = await api.http().post('/api/v1/auth/login').set('Content-Type', 'application/json; charset=iso-8859-1')
        .send('{"username":"tw.330523105","password":"Grid141!demo"}');
      expectProblem(latin, 415, 'body');
    });
    const utf8 = await api.http().post('/api/v1/auth/login').set('Content-Type', 'application/json; charset=UTF-8')
      .send('{"username":"tw.330523105","password":"Grid141!demo"}');
    expect(utf8.status).toBe(200);
  });

  it('a body that is not a JSON object is 400 on body; another media type is 415', async () => {
    await unchanged(async () => {
      for (const body of ['[]', `[${await reportJson()}]`, '"text"', '42', 'null', 'true']) {
        expectProblem(await rawPost('/events', body), 400);
      }
      expectProblem(await api.http().post('/api/v1/events').set('Authorization', `Bearer ${token}`), 400, 'body');
      const form = await api.http().post('/api/v1/auth/login').type('form').send({ username: 'admin', password: 'x' });
      expectProblem(form, 415, 'body');
      expectProblem(await rawPost('/auth/login', '{"username":"admin"', false), 400);
    });
  });
});

describe('query strings and paths', () => {
  it('nothing hides past the query parser\'s pair limit: more than 64 pairs is 400 on query', async () => {
    await unchanged(async () => {
      const hidden = `?${'&'.repeat(1008)}__proto__=1`;
      expectProblem(await rawPost(`/events${hidden}`, await reportJson()), 400, 'query');
      expectProblem(await api.http().get(`/api/v1/events?${'&'.repeat(1000)}cursor=%00`).set('Authorization', `Bearer ${token}`), 400, 'query');
    });
  });

  it('a repeated query parameter is 400 naming it (lists are one comma-separated value)', async () => {
    const auth = { Authorization: `Bearer ${token}` };
    expectProblem(await api.http().get('/api/v1/events?status=reported&status=accepted').set(auth), 400, 'status');
    expectProblem(await api.http().get('/api/v1/events?limit=1&limit=2').set(auth), 400, 'limit');
    expect((await api.http().get('/api/v1/events?status=reported,accepted').set(auth)).status).toBe(200);
  });

  it('malformed percent-encoding, NUL and lone surrogates in a path or query are 4xx, never 500', async () => {
    await unchanged(async () => {
      const auth = { Authorization: `Bearer ${token}` };
      for (const url of ['/api/v1/events/%E0%A4%A', '/api/v1/events/%ZZ', '/api/v1/events/%00', '/api/v1/events/%ED%A0%80',
        '/api/v1/events?q=%00', '/api/v1/events?q=%E0%A4%A', '/api/v1/events?q=%ED%A0%80', '/api/v1/admin/calendar/%E0%A4%A']) {
        const res = await api.http().get(url).set(auth);
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
    });
  });
});

describe('malformed HTTP', () => {
  it('requests Node\'s parser refuses get a problem+json answer too, not a bare status line', async () => {
    const server = api.app.getHttpServer() as Server;
    if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const send = (raw: string) => new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.write(raw));
      let data = '';
      socket.on('data', (d) => { data += d.toString(); });
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    for (const raw of [
      'GET /api/v1/categories?x=a b HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /api/v1/categories HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n',
      'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      `GET /api/v1/categories HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    ]) {
      const answer = await send(raw);
      expect(answer).toMatch(/^HTTP\/1\.1 4(00|31) /);
      expect(answer).toMatch(/Content-Type: application\/problem\+json/);
      const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { status: number };
      expect([400, 431]).toContain(body.status);
    }
  });
});
