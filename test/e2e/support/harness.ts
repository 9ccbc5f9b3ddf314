import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import request from 'supertest';
import type { INestApplication } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { createDataSource, PiiCipher, seedDemo } from '#core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const DATA_DIR = path.join(ROOT, 'data');
export const RUN = process.env.GRID141_TEST_RUN ?? `r${Date.now()}${process.pid}`;
const ADMIN_URL = process.env.GRID141_TEST_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const dbUrl = (name: string) => ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
const TEMPLATE = `grid141_t_${RUN}_tmpl`;

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try { return await fn(c); } finally { await c.end(); }
}

/**
 * This run's personal-data key. The template's demo accounts carry encrypted phone and ID numbers, so every database
 * copied from it needs the key it was seeded with: random per run, kept as the template database's comment (in the
 * cluster's catalogue, in no table, not copied with the database) and read back by every test file.
 */
let runPiiKey: string | null = null;

/**
 * A fresh database for one test file: a copy of this run's template (migrated + demo seed), made once per run.
 * Returns its URL. Files never share a database.
 */
export async function freshDatabase(label: string): Promise<{ name: string; url: string }> {
  await admin(async (c) => {
    await c.query(`SELECT pg_advisory_lock(141141)`);
    try {
      const exists = await c.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [TEMPLATE]);
      if (exists.rowCount === 0) {
        // built under another name and renamed when complete, so a failed build is never taken for a template
        const building = `${TEMPLATE}_building`;
        await c.query(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
        await c.query(`CREATE DATABASE "${building}"`);
        const ds = await createDataSource({ DATABASE_URL: dbUrl(building), DB_POOL_SIZE: 2 }).initialize();
        const key = randomBytes(48).toString('base64url');
        try {
          await ds.runMigrations({ transaction: 'each' });
          await ds.transaction((m) => seedDemo(m, DATA_DIR, '330523', { pii: new PiiCipher(key) }));
        } finally {
          await ds.destroy();
        }
        await c.query(`COMMENT ON DATABASE "${building}" IS '${key}'`);
        await c.query(`ALTER DATABASE "${building}" RENAME TO "${TEMPLATE}"`);
      }
      runPiiKey = (await c.query(`SELECT shobj_description(oid, 'pg_database') AS key FROM pg_database WHERE datname = $1`, [TEMPLATE])).rows[0].key;
    } finally {
      await c.query(`SELECT pg_advisory_unlock(141141)`);
    }
  });
  const name = `grid141_t_${RUN}_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${Math.random().toString(36).slice(2, 8)}`;
  await admin((c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${TEMPLATE}"`));
  return { name, url: dbUrl(name) };
}

export async function dropDatabase(name: string): Promise<void> {
  await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

/** Points the app's configuration at a test database and a per-file Redis prefix. */
export function configureEnv(dbName: string, extra: Record<string, string> = {}): void {
  process.env.DATABASE_URL = dbUrl(dbName);
  process.env.REDIS_PREFIX = `t_${RUN}_${dbName.slice(-6)}`;
  // a fresh random secret per test file: nothing published can sign a token the tests accept
  process.env.JWT_SECRET = randomBytes(48).toString('base64url');
  // the personal data encrypted at rest: this run's key, the one the template's demo accounts were seeded with
  if (!runPiiKey) throw new Error('configureEnv comes after freshDatabase (it needs the template\'s personal-data key)');
  process.env.PII_KEY = runPiiKey;
  process.env.DB_POOL_SIZE = '10';
  Object.assign(process.env, extra);
}

/** An HTTP client logged in as one demo user (paths are under /api/v1). */
export interface UserClient {
  get: (url: string) => request.Test;
  post: (url: string, body: unknown) => request.Test;
  put: (url: string, body: unknown) => request.Test;
  del: (url: string) => request.Test;
  /** POST with a raw string body sent as application/json (for malformed JSON). */
  raw: (url: string, body: string) => request.Test;
  upload: (buf: Buffer, name: string, contentType?: string) => request.Test;
}

export interface ApiHarness {
  app: INestApplication;
  db: pg.Pool;
  dbName: string;
  http: () => ReturnType<typeof request>;
  token: (username: string) => Promise<string>;
  as: (username: string) => Promise<UserClient>;
  close: () => Promise<void>;
}

/** The real API in-process against a fresh database, with helpers to log in as demo users. */
export async function startApi(label: string, env: Record<string, string> = {}): Promise<ApiHarness> {
  const { name } = await freshDatabase(label);
  configureEnv(name, env);
  const { createApiApp } = await import('../../../apps/api/src/app.factory.js');
  const app = await createApiApp({ logger: ['error'] });
  await app.init();
  const db = new pg.Pool({ connectionString: dbUrl(name), max: 3 });
  // the database is dropped WITH (FORCE) at the end: an idle client being closed then must not fail a test
  db.on('error', () => undefined);
  const tokens = new Map<string, string>();
  const http = () => request(app.getHttpServer());
  const token = async (username: string) => {
    const cached = tokens.get(username);
    if (cached) return cached;
    const res = await http().post('/api/v1/auth/login').send({ username, password: DEMO_PASSWORD });
    if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${JSON.stringify(res.body)}`);
    tokens.set(username, res.body.accessToken);
    return res.body.accessToken as string;
  };
  return {
    app, db, dbName: name, http, token,
    as: async (username) => {
      const auth = { Authorization: `Bearer ${await token(username)}` };
      return {
        get: (url) => http().get(`/api/v1${url}`).set(auth),
        post: (url, body) => http().post(`/api/v1${url}`).set(auth).send(body as object),
        put: (url, body) => http().put(`/api/v1${url}`).set(auth).send(body as object),
        del: (url) => http().delete(`/api/v1${url}`).set(auth),
        raw: (url, body) => http().post(`/api/v1${url}`).set(auth).set('Content-Type', 'application/json').send(body),
        upload: (buf, name, contentType) =>
          http().post('/api/v1/attachments').set(auth).attach('file', buf, contentType ? { filename: name, contentType } : name),
      };
    },
    close: async () => {
      await app.close();
      await db.end();
      await dropDatabase(name);
    },
  };
}

export const newId = () => uuidv7();

/** Waits for a condition with a deadline (never a bare sleep as synchronisation). */
export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 15000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Row counts of every table of the public schema (but PostGIS's spatial_ref_sys), by table name: what a refused request
 * must leave as it was (audit_log, sessions and users included). `ignore` leaves out tables a test writes on purpose
 * inside the counted block (see SIGN_IN_AND_AUDIT).
 */
export async function rowCounts(db: pg.Pool, ignore: readonly string[] = []): Promise<Record<string, number>> {
  const tables = (await db.query<{ t: string }>(`SELECT table_name AS t FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'spatial_ref_sys' ORDER BY 1`)).rows
    .map((r) => r.t).filter((t) => !ignore.includes(t));
  const r = await db.query<{ t: string; n: number }>(tables.map((t) => `SELECT '${t}' AS t, count(*)::int AS n FROM public."${t}"`).join(' UNION ALL '));
  return Object.fromEntries(r.rows.map((x) => [x.t, x.n]));
}

/** A point on the surface of a region (for reports inside a township, village or grid). */
export async function pointIn(db: pg.Pool, code: string): Promise<{ lng: number; lat: number }> {
  const r = await db.query(`SELECT ST_X(p) AS lng, ST_Y(p) AS lat FROM (SELECT ST_PointOnSurface(geom) AS p FROM regions WHERE code = $1) x`, [code]);
  if (!r.rows[0]) throw new Error(`no geometry for region ${code}`);
  return r.rows[0];
}

/** Tables a counted block writes on purpose when it signs a user in (a session) or is refused with 403 (audited). */
export const SIGN_IN_AND_AUDIT = ['audit_log', 'sessions', 'refresh_tokens'] as const;

/** The demo accounts' password (published: demo only). */
export const DEMO_PASSWORD = 'Grid141!demo';

/** The auth routes called without the harness's cached tokens (tests of login, refresh and tokens themselves). */
export function authRoutes(api: ApiHarness) {
  return {
    login: (username: string, password = DEMO_PASSWORD) => api.http().post('/api/v1/auth/login').send({ username, password }),
    refresh: (refreshToken: string) => api.http().post('/api/v1/auth/refresh').send({ refreshToken }),
    me: (token: string) => api.http().get('/api/v1/me').set('Authorization', `Bearer ${token}`),
  };
}

/**
 * Grid workers under a region-code prefix that a test file may lock, disable or log out without disturbing others:
 * each call of the returned function hands out one not handed out before.
 */
export async function spareGridWorkers(api: ApiHarness, regionPrefix: string, count: number): Promise<() => string> {
  const grids = await api.db.query(`SELECT code FROM regions WHERE level = 'grid' AND code LIKE $1 || '%' ORDER BY code LIMIT $2`, [regionPrefix, count]);
  const left = grids.rows.map((r: { code: string }) => `gw.${r.code}`);
  return () => {
    const u = left.shift();
    if (!u) throw new Error(`no spare grid worker left under ${regionPrefix}`);
    return u;
  };
}
