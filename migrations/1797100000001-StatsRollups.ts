import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The evaluation rollup (issue 8): stats_daily counts the recorded facts per Asia/Shanghai day and township (of the
 * frozen grid code), each figure on the day it happened, so a county-year summary, a township ranking or a daily
 * trend reads at most days × townships rows (365 × 15) instead of a million facts (villages and grids read the facts:
 * a grid per day would make the county year 100,000 rows, a second key per report another upsert). Kept by EventsRepository in the statement that writes the facts (the
 * report: one upsert; a transition: the difference between the facts row before and after, plus the ended stage),
 * with the contributions defined once here (ROLLUP_FAMILIES, STAGE_ROLLUP) for the backfill, the incremental upkeep
 * and the benchmark. event_facts.span ([reported, last of closed/voided/merged]) with a GiST index finds the reports
 * of a past period that closed or were voided after its end (the rollup counts those on the report day).
 * Tables and the index generated from the entities (StatsDailyEntity, EventFactEntity.span); the backfill by hand.
 */
export class StatsRollups1797100000001 implements MigrationInterface {
  name = 'StatsRollups1797100000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "stats_daily" ("day" date NOT NULL, "township_code" character varying(9) NOT NULL, ${ROLLUP_COLUMNS.map((c) => `"${c}" ${c === 'handle_minutes' ? 'numeric' : 'integer'} NOT NULL DEFAULT '0'`).join(', ')}, CONSTRAINT "stats_daily_pkey" PRIMARY KEY ("day", "township_code"))`);
    await q.query(`ALTER TABLE "event_facts" ADD "span" tstzrange`);
    await q.query(`UPDATE event_facts f SET span = ${SPAN('f')} WHERE coalesce(f.closed_at, f.voided_at, f.merged_at) IS NOT NULL`);
    await q.query(`CREATE INDEX "event_facts_span_idx" ON "event_facts" USING GiST ("span") WHERE span IS NOT NULL`);
    await q.query(rollupBackfill(false));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "public"."event_facts_span_idx"`);
    await q.query(`ALTER TABLE "event_facts" DROP COLUMN "span"`);
    await q.query(`DROP TABLE "stats_daily"`);
  }
}

/** An instant's Asia/Shanghai day. */
export const SHANGHAI_DAY = (at: string) => `(${at} AT TIME ZONE 'Asia/Shanghai')::date`;

/** event_facts.span of a facts row r (null while none of closed/voided/merged is set). */
export const SPAN = (r: string) => `CASE WHEN coalesce(${r}.closed_at, ${r}.voided_at, ${r}.merged_at) IS NOT NULL
  THEN tstzrange(${r}.reported_at, greatest(${r}.reported_at, ${r}.closed_at, ${r}.voided_at, ${r}.merged_at), '[]') END`;

/**
 * What one event_facts row r adds to the rollup: per family, the instant whose day it counts on and each counter's
 * value (0 or 1). A family without its instant (not yet accepted, closed, rated) adds nothing.
 */
export const ROLLUP_FAMILIES: { at: string; counts: Record<string, (r: string) => string> }[] = [
  { at: 'reported_at', counts: {
    reported: () => '1',
    self_resolved: (r) => `${r}.self_resolved::int`,
    reported_closed: (r) => `(${r}.closed_at IS NOT NULL)::int`,
    reported_voided: (r) => `(${r}.voided_at IS NOT NULL OR ${r}.merged_at IS NOT NULL)::int`,
  } },
  { at: 'accepted_at', counts: { accepted: () => '1' } },
  { at: 'dispatched_at', counts: { dispatched: () => '1' } },
  { at: 'closed_at', counts: {
    closed: () => '1',
    closed_on_time: (r) => `coalesce(${r}.closed_on_time, false)::int`,
    first_time: (r) => `(${r}.rework_count = 0)::int`,
    closed_dispatched: (r) => `(${r}.dispatched_at IS NOT NULL)::int`,
    returned: (r) => `(${r}.return_count > 0)::int`,
    wrong: (r) => `(${r}.wrong_dispatch_count > 0)::int`,
    level_village: (r) => `coalesce(${r}.resolution_level = 'village', false)::int`,
    level_township: (r) => `coalesce(${r}.resolution_level = 'township', false)::int`,
    level_county: (r) => `coalesce(${r}.resolution_level = 'county', false)::int`,
  } },
  { at: 'first_rated_at', counts: { rated: () => '1', satisfied: (r) => `coalesce(${r}.first_rating >= 3, false)::int` } },
];

/** What one ended stage (stage, ended_by, on_time, working_minutes) adds on the day it ended. */
export const STAGE_ROLLUP: Record<string, (s: { stage: string; endedBy: string; onTime: string; minutes: string }) => string> = {
  accept_due: (s) => `(${s.stage} = 'accept' AND ${s.onTime} IS NOT NULL)::int`,
  accept_on_time: (s) => `coalesce(${s.stage} = 'accept' AND ${s.onTime}, false)::int`,
  sign_due: (s) => `(${s.stage} = 'sign' AND ${s.endedBy} = 'sign' AND ${s.onTime} IS NOT NULL)::int`,
  sign_on_time: (s) => `coalesce(${s.stage} = 'sign' AND ${s.endedBy} = 'sign' AND ${s.onTime}, false)::int`,
  handle_due: (s) => `(${s.stage} = 'handle' AND ${s.endedBy} = 'feedback' AND ${s.onTime} IS NOT NULL)::int`,
  handle_on_time: (s) => `coalesce(${s.stage} = 'handle' AND ${s.endedBy} = 'feedback' AND ${s.onTime}, false)::int`,
  handle_count: (s) => `(${s.stage} = 'handle' AND ${s.endedBy} = 'feedback')::int`,
  handle_minutes: (s) => `CASE WHEN ${s.stage} = 'handle' AND ${s.endedBy} = 'feedback' THEN ${s.minutes} ELSE 0 END`,
};

/** Every counter of stats_daily, in column order. */
export const ROLLUP_COLUMNS: string[] = [...ROLLUP_FAMILIES.flatMap((f) => Object.keys(f.counts)), ...Object.keys(STAGE_ROLLUP)];

/**
 * The rollup slot of an event (0–7, from the last byte of its id: random in a UUID v4 or v7): since 1797200000000 a
 * stats_daily key is (day, township, slot), so concurrent reports of one township and day update eight rows instead of
 * one (a report holds its row lock until commit). Readers sum over the slots.
 */
export const ROLLUP_SLOT = (eventId: string) => `(get_byte(uuid_send(${eventId}), 15) & 7)`;

/**
 * Builds stats_daily from the facts (this migration's backfill, unslotted: the slot column comes later; the benchmark
 * builds with `slotted`, which spreads every key over the slots like the live upkeep).
 */
export function rollupBackfill(slotted: boolean): string {
  const slot = (id: string) => (slotted ? `, ${ROLLUP_SLOT(id)} AS slot` : '');
  const row = (vals: Record<string, string>) => ROLLUP_COLUMNS.map((c) => `${vals[c] ?? '0'} AS ${c}`).join(', ');
  const parts = ROLLUP_FAMILIES.map((f) => `SELECT ${SHANGHAI_DAY(`f.${f.at}`)} AS day, left(f.grid_code, 9) AS township_code${slot('f.event_id')}, ${row(Object.fromEntries(Object.entries(f.counts).map(([c, e]) => [c, e('f')])))}
      FROM event_facts f WHERE f.${f.at} IS NOT NULL`);
  const s = { stage: 's.stage', endedBy: 's.ended_by', onTime: 's.on_time', minutes: 's.working_minutes' };
  parts.push(`SELECT ${SHANGHAI_DAY('s.ended_at')} AS day, left(s.grid_code, 9) AS township_code${slot('s.event_id')}, ${row(Object.fromEntries(Object.entries(STAGE_ROLLUP).map(([c, e]) => [c, e(s)])))}
      FROM stage_facts s WHERE s.stage IN ('accept', 'sign', 'handle')`);
  const keys = slotted ? 'day, township_code, slot' : 'day, township_code';
  return `INSERT INTO stats_daily (${keys}, ${ROLLUP_COLUMNS.join(', ')})
    SELECT ${keys}, ${ROLLUP_COLUMNS.map((c) => `sum(${c})`).join(', ')} FROM (${parts.join('\n    UNION ALL ')}) x GROUP BY ${slotted ? '1, 2, 3' : '1, 2'}`;
}
