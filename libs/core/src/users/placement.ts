import { randomInt } from 'node:crypto';
import argon2 from 'argon2';
import type { Role } from '#domain';
import type { Sql } from '../database/db.service.js';
import { countyCentreCode, townshipCentreCode } from '../units/units.repository.js';

/** Where a user works: role, unit and jurisdiction (DOMAIN §5), checked together. */
export interface Placement {
  role: Role;
  unitCode: string | null;
  jurisdictionCode: string;
}

export interface PlacementProblem {
  field: 'role' | 'unitCode' | 'jurisdictionCode';
  message: string;
}

/** Units that handle events (处置单位) and may have handlers. */
const HANDLER_UNIT_TYPES = new Set(['county_department', 'township_platform', 'township_station']);

/** The county's regions and active units, read once per request (a county has a few thousand of each). */
export class Places {
  private constructor(
    readonly county: string,
    readonly regions: Map<string, string>,
    readonly units: Map<string, { type: string; region: string }>,
  ) {}

  static async load(sql: Sql, county: string): Promise<Places> {
    const [regions, units] = await Promise.all([
      sql.query<{ code: string; level: string }>(`SELECT code, level FROM regions WHERE code LIKE $1 || '%' AND (valid_to IS NULL OR valid_to > now())`, [county]),
      sql.query<{ code: string; type: string; region: string }>(
        `SELECT code, type, region_code AS region FROM units WHERE active AND region_code LIKE $1 || '%'`, [county]),
    ]);
    return new Places(county, new Map(regions.map((r) => [r.code, r.level])), new Map(units.map((u) => [u.code, { type: u.type, region: u.region }])));
  }

  /**
   * Why a placement is inconsistent, or null. The rules: a grid worker's jurisdiction is a grid and its unit the grid
   * team `<grid>-WG`; a township dispatcher's jurisdiction is a township and its unit the command room `<township>-ZH`;
   * a handler has a handling unit (county department, township platform or station) and that unit's region as
   * jurisdiction; county operators work in the county centre `<county>-ZX`; county leaders in the centre or without a
   * unit; the administrator without a unit; every county role has the county as jurisdiction.
   */
  problem(p: Placement): PlacementProblem | null {
    const level = this.regions.get(p.jurisdictionCode);
    if (!level) return { field: 'jurisdictionCode', message: `unknown region ${p.jurisdictionCode} in county ${this.county}` };
    const wrong = this.roleProblem(p, level);
    if (wrong) return wrong;
    if (p.unitCode !== null && !this.units.has(p.unitCode)) return { field: 'unitCode', message: `unknown or retired unit ${p.unitCode}` };
    return null;
  }

  private roleProblem(p: Placement, level: string): PlacementProblem | null {
    const unit = p.unitCode === null ? null : this.units.get(p.unitCode);
    const centre = countyCentreCode(this.county);
    switch (p.role) {
      case 'grid_worker':
        if (level !== 'grid') return { field: 'jurisdictionCode', message: "a grid worker's jurisdiction is a grid (15-digit code)" };
        if (p.unitCode !== `${p.jurisdictionCode}-WG`) return { field: 'unitCode', message: `a grid worker's unit is the grid team ${p.jurisdictionCode}-WG` };
        return null;
      case 'township_dispatcher':
        if (level !== 'township') return { field: 'jurisdictionCode', message: "a township dispatcher's jurisdiction is a township (9-digit code)" };
        if (p.unitCode !== townshipCentreCode(p.jurisdictionCode)) {
          return { field: 'unitCode', message: `a township dispatcher's unit is the command room ${townshipCentreCode(p.jurisdictionCode)}` };
        }
        return null;
      case 'handler':
        if (p.unitCode !== null && !unit) return { field: 'unitCode', message: `unknown or retired unit ${p.unitCode}` };
        if (!unit || !HANDLER_UNIT_TYPES.has(unit.type)) return { field: 'unitCode', message: 'a handler needs a handling unit (county department, township platform or station)' };
        if (p.jurisdictionCode !== unit.region) return { field: 'jurisdictionCode', message: `a handler's jurisdiction is its unit's region ${unit.region}` };
        return null;
      case 'county_operator':
      case 'county_leader':
      case 'admin':
        if (p.jurisdictionCode !== this.county) return { field: 'jurisdictionCode', message: `a county role's jurisdiction is the county ${this.county}` };
        if (p.role === 'county_operator' && p.unitCode !== centre) return { field: 'unitCode', message: `a county operator's unit is the county centre ${centre}` };
        if (p.role === 'county_leader' && p.unitCode !== null && p.unitCode !== centre) {
          return { field: 'unitCode', message: `a county leader's unit is the county centre ${centre}, or none` };
        }
        if (p.role === 'admin' && p.unitCode !== null) return { field: 'unitCode', message: 'the administrator has no unit' };
        return null;
    }
  }
}

/**
 * Username scheme for accounts the administrator does not name: the demo's names — `gw.<grid>`, `tw.<township>`,
 * `h.<unit>`, `county.op`, `county.lead`, `admin` — for the first account of a place, then `.2`, `.3` … No personal
 * data in a username (it is written to logs in clear).
 */
export function usernameBase(p: Placement): string {
  switch (p.role) {
    case 'grid_worker': return `gw.${p.jurisdictionCode}`;
    case 'township_dispatcher': return `tw.${p.jurisdictionCode}`;
    case 'handler': return `h.${p.unitCode}`;
    case 'county_operator': return 'county.op';
    case 'county_leader': return 'county.lead';
    case 'admin': return 'admin';
  }
}

/** The first free name of the scheme, among `taken` (which it extends). */
export function allocateUsername(base: string, taken: Set<string>): string {
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base}.${n}`;
  taken.add(name);
  return name;
}

/** Serialises username allocation (create, import) across processes, inside a transaction. */
export const lockUsernames = (sql: Sql) => sql.query(`SELECT pg_advisory_xact_lock(hashtext('grid141:users:allocate'))`);

const ALPHABET = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A temporary password: 16 characters from 55 unambiguous ones (≈ 92 bits), in groups of 4 for reading aloud. */
export function temporaryPassword(): string {
  const chars = Array.from({ length: 16 }, () => ALPHABET[randomInt(ALPHABET.length)]);
  return [0, 4, 8, 12].map((i) => chars.slice(i, i + 4).join('')).join('-');
}

/**
 * argon2id of a temporary password, at a low cost (1 MiB, 1 pass): the password is random (≈ 92 bits), so guessing it
 * from the hash is infeasible at any hashing speed, and a 3,000-row roster hashes in seconds, not minutes. It works
 * only until the forced change at first login, which hashes the chosen password at full cost (auth/passwords.ts).
 */
export function hashTemporaryPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id, memoryCost: 1024, timeCost: 1, parallelism: 1 });
}
