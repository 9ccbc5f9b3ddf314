import type { Queryable } from '../regions/regions-seed.js';

export interface PurgeResult {
  events: number;
  /** Rows removed from the tables that reference events (event_actions and any later one), by table. */
  references: Record<string, number>;
  outbox: number;
}

async function deleted(db: Queryable, sql: string): Promise<number> {
  const [row] = (await db.query(`WITH d AS (${sql} RETURNING 1) SELECT count(*)::int AS n FROM d`)) as { n: number }[];
  return row?.n ?? 0;
}

/**
 * Deletes the living demo's events (events.demo) with everything that points at them: their timelines (event_actions),
 * rows of any other table with a foreign key to events (found in the catalogue, so a later table is not forgotten), and
 * their outbox messages. Run it inside one transaction, with the generator stopped. Refuses when a real event was merged
 * into a demo one (deleting the demo event would leave it pointing nowhere). The map counts follow by their trigger.
 */
export async function purgeDemoEvents(db: Queryable): Promise<PurgeResult> {
  const blocking = (await db.query(
    `SELECT r.code FROM events r JOIN events d ON d.id = r.merged_into_id WHERE d.demo AND NOT r.demo ORDER BY r.code LIMIT 20`)) as { code: string }[];
  if (blocking.length > 0) {
    throw new Error(`real events are merged into demo events (${blocking.map((b) => b.code).join(', ')}): unmerge or delete them first`);
  }
  const references: Record<string, number> = {};
  const fks = (await db.query(
    `SELECT c.conrelid::regclass::text AS "table", a.attname AS "column"
       FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
      WHERE c.contype = 'f' AND c.confrelid = 'events'::regclass AND cardinality(c.conkey) = 1 AND c.conrelid <> 'events'::regclass
      ORDER BY 1, 2`)) as { table: string; column: string }[];
  for (const fk of fks) {
    references[fk.table] = (references[fk.table] ?? 0)
      + await deleted(db, `DELETE FROM ${fk.table} WHERE "${fk.column}" IN (SELECT id FROM events WHERE demo)`);
  }
  const outbox = await deleted(db, `DELETE FROM outbox WHERE aggregate_id IN (SELECT id FROM events WHERE demo)`);
  const events = await deleted(db, `DELETE FROM events WHERE demo`);
  return { events, references, outbox };
}
