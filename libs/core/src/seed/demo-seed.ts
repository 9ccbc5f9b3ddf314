import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Role } from '#domain';
import { ROSTER_ROLE_NAMES } from '#contracts';
import { AuditService } from '../audit/audit.service.js';
import { hashPassword } from '../auth/passwords.js';
import { SessionCache } from '../auth/session-cache.js';
import { AppConfig, loadConfig } from '../config/app-config.js';
import type { DbService, Sql } from '../database/db.service.js';
import { PiiCipher } from '../pii/pii-cipher.js';
import { idCheckCharacter } from '../pii/personal-data.js';
import { generateSyntheticGeometry, loadDivisions } from '../regions/regions-seed.js';
import type { Queryable } from '../regions/regions-seed.js';
import { countyCentreCode, townshipCentreCode } from '../units/units.repository.js';
import { RosterService, SEED_AUTHOR } from '../users/roster.service.js';
import type { RosterRow } from '../users/roster.service.js';
import { UserAdminService } from '../users/user-admin.service.js';

export const DEMO_PASSWORD = 'Grid141!demo';

/** Township platforms (四平台, 2021 scheme, plus the Party-and-government module) and stations created in every township. */
export const TOWNSHIP_PLATFORMS = [
  { suffix: 'ZZ', name: '综治工作平台', platform: 'ZZ' },
  { suffix: 'JG', name: '监管执法平台', platform: 'JG' },
  { suffix: 'YJ', name: '应急管理平台', platform: 'YJ' },
  { suffix: 'GF', name: '公共服务平台', platform: 'GF' },
  { suffix: 'DZ', name: '党政综合模块', platform: 'DZ' },
] as const;
export const TOWNSHIP_STATIONS = [
  { suffix: 'PCS', name: '派出所' },
  { suffix: 'SFS', name: '司法所' },
  { suffix: 'SJS', name: '市场监管所' },
  { suffix: 'ZFZD', name: '综合行政执法中队' },
] as const;

interface CategoryFile {
  scheme: string;
  platformTypes: { code: string; name: string }[];
  countyDepartments: { code: string; name: string }[];
  categories: { code: string; name: string; majorCode: string; majorName: string; platform: string | null; countyDepartment: string | null;
    defaultUrgency: 'normal' | 'urgent'; isEvent: boolean }[];
}

async function json<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, 'utf8')) as T;
}

/** Reference data every deployment needs: platform types, categories, default SLA rules, the holiday calendar. */
export async function seedReferenceData(db: Queryable, dataDir: string): Promise<void> {
  const file = await json<CategoryFile>(path.join(dataDir, 'categories.json'));
  await db.query(
    `INSERT INTO platform_types (code, name, scheme, sort)
     SELECT x.code, x.name, $2, x.ord FROM jsonb_to_recordset($1::jsonb) AS x(code text, name text, ord int)
     ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, scheme = EXCLUDED.scheme`,
    [JSON.stringify(file.platformTypes.map((p, ord) => ({ ...p, ord }))), file.scheme]);
  await db.query(
    `INSERT INTO categories (code, name, major_code, major_name, platform_type_code, county_department, default_urgency, is_event, sort)
     SELECT x.code, x.name, x."majorCode", x."majorName", x.platform, x."countyDepartment", x."defaultUrgency", x."isEvent", x.ord
       FROM jsonb_to_recordset($1::jsonb) AS x(code text, name text, "majorCode" text, "majorName" text, platform text,
            "countyDepartment" text, "defaultUrgency" text, "isEvent" boolean, ord int)
     ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, major_code = EXCLUDED.major_code, major_name = EXCLUDED.major_name,
       platform_type_code = EXCLUDED.platform_type_code, county_department = EXCLUDED.county_department,
       default_urgency = EXCLUDED.default_urgency, is_event = EXCLUDED.is_event, sort = EXCLUDED.sort`,
    [JSON.stringify(file.categories.map((c, ord) => ({ ...c, ord })))]);
  // Default time limits (DOMAIN.md 3.4 proposal): ordinary events in working minutes (3 working days to handle, 1 to verify),
  // urgent events in natural minutes. A working day is 7.5 h (08:30–12:00, 13:30–17:30) = 450 working minutes.
  await db.query(
    `INSERT INTO sla_rules (category_code, urgency, basis, accept_minutes, sign_minutes, handle_minutes, verify_minutes, yellow_ratio, escalate_grace_minutes)
     VALUES (NULL, 'normal', 'working', 120, 120, 1350, 450, 0.8, 30),
            (NULL, 'urgent', 'natural', 30, 30, 1440, 120, 0.8, 10)
     ON CONFLICT DO NOTHING`);
  // Per-category defaults beside them (DOMAIN.md 3.4, 数字城管 handling limits), for the admin to edit rather than create:
  // 暴露垃圾 (0901) handled within 4 working hours, 积存垃圾渣土 (0902) within 2 working days.
  await db.query(
    `INSERT INTO sla_rules (category_code, urgency, basis, accept_minutes, sign_minutes, handle_minutes, verify_minutes, yellow_ratio, escalate_grace_minutes)
     SELECT c.code, 'normal', 'working', 120, 120, x.handle, 450, 0.8, 30
       FROM (VALUES ('0901', 240), ('0902', 900)) x(code, handle) JOIN categories c ON c.code = x.code
     ON CONFLICT DO NOTHING`);
  const calendarDir = path.join(dataDir, 'calendar');
  for (const name of (await readdir(calendarDir)).filter((f) => f.endsWith('.json')).sort()) {
    const cal = await json<{ days: { date: string; kind: string; name: string }[] }>(path.join(calendarDir, name));
    await db.query(
      `INSERT INTO calendar_days (date, kind, name) SELECT x.date::date, x.kind, x.name FROM jsonb_to_recordset($1::jsonb) AS x(date text, kind text, name text)
       ON CONFLICT (date) DO NOTHING`, [JSON.stringify(cal.days)]);
  }
}

/**
 * Units of a county (处置单位): the county centre, county departments, and per township a command room, the four
 * platforms and typical stations; a grid team per grid. Codes: `<region>-<kind>` (see UnitsRepository).
 */
export async function seedUnits(db: Queryable, dataDir: string, countyCode: string): Promise<void> {
  const file = await json<CategoryFile>(path.join(dataDir, 'categories.json'));
  const [county] = await db.query(`SELECT name FROM regions WHERE code = $1`, [countyCode]);
  const countyName: string = county?.name ?? countyCode;
  const units: { code: string; name: string; type: string; region: string; platform: string | null; kind: string | null; parent: string | null }[] = [];
  const centre = countyCentreCode(countyCode);
  units.push({ code: centre, name: `${countyName}社会治理中心`, type: 'county_centre', region: countyCode, platform: null, kind: 'ZX', parent: null });
  for (const d of file.countyDepartments) {
    units.push({ code: `${countyCode}-${d.code}`, name: d.name.replace(/^县/, countyName), type: 'county_department', region: countyCode,
      platform: null, kind: d.code, parent: null });
  }
  const townships: { code: string; name: string }[] = await db.query(
    `SELECT code, name FROM regions WHERE parent_code = $1 AND level = 'township' ORDER BY code`, [countyCode]);
  for (const t of townships) {
    const room = townshipCentreCode(t.code);
    units.push({ code: room, name: `${t.name}综合信息指挥室`, type: 'township_centre', region: t.code, platform: null, kind: 'ZH', parent: centre });
    for (const p of TOWNSHIP_PLATFORMS) {
      units.push({ code: `${t.code}-${p.suffix}`, name: `${t.name}${p.name}`, type: 'township_platform', region: t.code, platform: p.platform, kind: p.suffix, parent: room });
    }
    for (const s of TOWNSHIP_STATIONS) {
      units.push({ code: `${t.code}-${s.suffix}`, name: `${t.name}${s.name}`, type: 'township_station', region: t.code, platform: null, kind: s.suffix, parent: room });
    }
  }
  const grids: { code: string; name: string; township: string }[] = await db.query(
    `SELECT code, name, left(code, 9) AS township FROM regions WHERE level = 'grid' AND code LIKE $1 || '%' ORDER BY code`, [countyCode]);
  for (const g of grids) {
    units.push({ code: `${g.code}-WG`, name: `${g.name}网格`.replace(/网格网格$/, '网格'), type: 'grid_team', region: g.code, platform: null, kind: 'WG',
      parent: townshipCentreCode(g.township) });
  }
  await db.query(
    `INSERT INTO units (code, name, type, region_code, platform_type_code, department_kind, parent_unit_code)
     SELECT x.code, x.name, x.type, x.region, x.platform, x.kind, x.parent FROM jsonb_to_recordset($1::jsonb)
       AS x(code text, name text, type text, region text, platform text, kind text, parent text)
     ORDER BY (x.parent IS NOT NULL), x.type <> 'county_centre', x.type <> 'township_centre'
     ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, type = EXCLUDED.type, region_code = EXCLUDED.region_code,
       platform_type_code = EXCLUDED.platform_type_code, department_kind = EXCLUDED.department_kind, parent_unit_code = EXCLUDED.parent_unit_code`,
    [JSON.stringify(units)]);
}

/** Tells every process that regions, units or categories changed (their in-memory routing snapshots reload). */
export async function bumpReferenceVersion(db: Queryable): Promise<void> {
  await db.query(`UPDATE settings_versions SET version = version + 1 WHERE name = 'reference'`);
}

/** The demo's synthetic personal data: mobile numbers 199 0141 0001… (a block no real account of the demo uses). */
const demoPhone = (i: number) => `1990141${String(i + 1).padStart(4, '0')}`;

/**
 * A synthetic ID number of the county, valid under GB 11643 (birth date from 1970-01-01 on, check character computed),
 * unique per index. Its sequence number is offset from the birth date's day count so that it differs from the ones the
 * roster tests generate.
 */
function demoIdNumber(countyCode: string, i: number): string {
  const birth = new Date(Date.UTC(1970, 0, 1) + i * 86_400_000);
  const days = Math.round((birth.getTime() - Date.UTC(1960, 0, 1)) / 86_400_000);
  const first17 = `${countyCode}${birth.toISOString().slice(0, 10).replaceAll('-', '')}${String((days + 500) % 1000).padStart(3, '0')}`;
  return `${first17}${idCheckCharacter(first17)}`;
}

/** A demo account: its roster row (姓名, 手机号, 身份证号, 所属网格/单位, 角色) and the username the demo documents. */
export interface DemoAccount {
  username: string;
  row: RosterRow;
}

/**
 * The demo's roster: admin, county.op, county.lead, tw.<township code>, h.<unit code> for every platform, station and
 * department, gw.<grid code> for every grid — the names the roster import's username scheme gives the first account of
 * each place. Personal data synthetic but valid (see {@link demoPhone}, {@link demoIdNumber}).
 */
export async function demoRoster(db: Queryable, countyCode: string): Promise<DemoAccount[]> {
  const centre = countyCentreCode(countyCode);
  const posts: { username: string; name: string; place: string; role: Role }[] = [
    { username: 'admin', name: '系统管理员', place: countyCode, role: 'admin' },
    { username: 'county.op', name: '县中心坐席', place: centre, role: 'county_operator' },
    { username: 'county.lead', name: '县中心领导', place: centre, role: 'county_leader' },
  ];
  const units: { code: string; name: string; type: string; region: string }[] = await db.query(
    `SELECT code, name, type, region_code AS region FROM units WHERE region_code LIKE $1 || '%' AND active ORDER BY code`, [countyCode]);
  for (const u of units) {
    if (u.type === 'township_centre') posts.push({ username: `tw.${u.region}`, name: `${u.name}调度员`, place: u.region, role: 'township_dispatcher' });
    else if (u.type === 'grid_team') posts.push({ username: `gw.${u.region}`, name: `${u.name}网格员`, place: u.region, role: 'grid_worker' });
    else if (u.type !== 'county_centre') posts.push({ username: `h.${u.code}`, name: `${u.name}处置人员`, place: u.code, role: 'handler' });
  }
  return posts.map((p, i) => ({ username: p.username,
    row: { name: p.name, phone: demoPhone(i), idNumber: demoIdNumber(countyCode, i), place: p.place, role: ROSTER_ROLE_NAMES[p.role] } }));
}

export interface DemoSeedOptions {
  /** The personal-data cipher (default: from PII_KEY, see PiiCipher.fromConfig): the demo's phone and ID numbers are encrypted with it. */
  pii?: PiiCipher;
  /** The hash of the demo password (default: DEMO_PASSWORD hashed once, here). */
  passwordHash?: string;
}

/** The seed's statements as the services' `Sql`: it imports in its own transaction (TypeORM returns rows for SELECT and INSERT). */
/** The services' pool for the seed: every call it makes takes the seed's transaction, the pool is never reached. */
const NO_POOL = new Proxy({}, { get: () => { throw new Error('the demo seed writes in its own transaction only'); } }) as DbService;

const seedSql = (db: Queryable): Sql => ({
  query: async (text, params) => db.query(text, params),
  exec: () => { throw new Error('the demo seed runs no statement that needs a row count'); },
});

/**
 * Demo accounts, all with the password `Grid141!demo`, created by the administration's roster import
 * (RosterService.importForSeed: the same checks, encryption of the personal data, audit trail) from {@link demoRoster}.
 * Idempotent: a second run finds every account (by its phone and ID number, or by its known username) unchanged.
 */
export async function seedDemoUsers(db: Queryable, countyCode: string, options: DemoSeedOptions = {}): Promise<number> {
  const pii = options.pii ?? PiiCipher.fromConfig(loadConfig());
  const accounts = await demoRoster(db, countyCode);
  const config = Object.assign(new AppConfig(), { COUNTY_CODE: countyCode });
  const noPool = NO_POOL;
  const audit = new AuditService(noPool);
  const roster = new RosterService(noPool, audit, new UserAdminService(noPool, audit, config, pii, new SessionCache(config)), pii);
  const passwordHash = options.passwordHash ?? (await hashPassword(DEMO_PASSWORD));
  await roster.importForSeed(seedSql(db), accounts.map((a) => a.row), { usernames: accounts.map((a) => a.username), passwordHash });
  return accounts.length;
}

/**
 * For a demo whose 浙政钉 is the province sandbox (scripts/demo.sh): binds every enabled account without a 浙政钉 account
 * to the sandbox account `demo-<username>`, so that the demo's dispatches, red cards and 督办 reach people as work notices
 * and to-dos, and 免登 can be tried (`POST /_sandbox/auth-code {"accountId": "demo-tw.330523001"}`). Never part of
 * seed-demo itself (a real installation binds real accounts, one by one or by roster); an existing binding is kept.
 * Audited as one `demo.zwdd-bind` row with the count. Returns how many accounts it bound.
 */
export async function bindDemoZwddAccounts(db: Queryable): Promise<number> {
  // a SELECT around the UPDATE: TypeORM answers an UPDATE with [rows, count], a SELECT with its rows (as pg does)
  const [{ n }] = await db.query(`WITH bound AS (UPDATE users SET zwdd_account_id = 'demo-' || username
    WHERE zwdd_account_id IS NULL AND NOT disabled
      AND NOT EXISTS (SELECT 1 FROM users o WHERE o.zwdd_account_id = 'demo-' || users.username) RETURNING id)
    SELECT count(*)::int AS n FROM bound`) as { n: number }[];
  await new AuditService(NO_POOL).record({ username: SEED_AUTHOR, action: 'demo.zwdd-bind', outcome: 'ok',
    detail: { bound: n, accountIds: 'demo-<username>' } }, seedSql(db));
  return n;
}

/** The whole demo: Zhejiang divisions, Anji's synthetic polygons, reference data, units and demo accounts. */
export async function seedDemo(db: Queryable, dataDir: string, countyCode = '330523', options: DemoSeedOptions = {}): Promise<{ users: number }> {
  await loadDivisions(db, dataDir);
  await generateSyntheticGeometry(db, dataDir, countyCode);
  await seedReferenceData(db, dataDir);
  await seedUnits(db, dataDir, countyCode);
  const users = await seedDemoUsers(db, countyCode, options);
  await bumpReferenceVersion(db);
  return { users };
}
