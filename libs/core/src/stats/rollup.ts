import { ROLLUP_COLUMNS, ROLLUP_FAMILIES, ROLLUP_SLOT, SHANGHAI_DAY, SPAN, STAGE_ROLLUP } from '../../../../migrations/1797100000001-StatsRollups.js';

export { ROLLUP_COLUMNS, SPAN };

/** Adds each counter of the incoming row to the stored one (an upsert's conflict action on stats_daily). */
const ADD_ALL = ROLLUP_COLUMNS.map((c) => `${c} = stats_daily.${c} + EXCLUDED.${c}`).join(', ');

/**
 * The report's rollup upsert (one row: the report day, township and the event's slot), as a CTE body over `ev` (the inserted events row).
 */
export const REPORT_ROLLUP = (ev: string) => `INSERT INTO stats_daily (day, township_code, slot, reported, self_resolved)
         SELECT ${SHANGHAI_DAY(`${ev}.created_at`)}, left(${ev}.grid_code, 9), ${ROLLUP_SLOT(`${ev}.id`)}, 1, ${ev}.resolved_on_site::int FROM ${ev}
         ON CONFLICT (day, township_code, slot) DO UPDATE SET reported = stats_daily.reported + 1, self_resolved = stats_daily.self_resolved + EXCLUDED.self_resolved`;

/**
 * A transition's rollup upkeep, as CTEs over `old` (the facts row before the statement), `neu` (after: RETURNING) and
 * the ended stage (`stage` SQL expressions, counted only when `ended` is true): every counter's value after minus
 * before, on its day, summed per day; only days with a non-zero difference are written, latest day first (the lock
 * order: today's row, then the report day's).
 */
export function transitionRollup(old: string, neu: string, ended: string, at: string,
  stage: { stage: string; endedBy: string; onTime: string; minutes: string }): string {
  const terms: string[] = [];
  for (const f of ROLLUP_FAMILIES) {
    for (const [col, expr] of Object.entries(f.counts)) {
      terms.push(`(${SHANGHAI_DAY(`${old}.${f.at}`)}, '${col}', -(${expr(old)})::numeric)`, `(${SHANGHAI_DAY(`${neu}.${f.at}`)}, '${col}', (${expr(neu)})::numeric)`);
    }
  }
  for (const [col, expr] of Object.entries(STAGE_ROLLUP)) {
    terms.push(`(CASE WHEN ${ended} THEN ${SHANGHAI_DAY(at)} END, '${col}', (${expr(stage)})::numeric)`);
  }
  return `rd AS (
         SELECT x.day, x.col, sum(x.v) AS v FROM ${old}, ${neu}, LATERAL (VALUES ${terms.join(',\n           ')}) x(day, col, v)
          WHERE x.day IS NOT NULL GROUP BY 1, 2 HAVING sum(x.v) <> 0
       ), rs AS (
         INSERT INTO stats_daily (day, township_code, slot, ${ROLLUP_COLUMNS.join(', ')})
         SELECT rd.day, left(${neu}.grid_code, 9), ${ROLLUP_SLOT(`${neu}.event_id`)}, ${ROLLUP_COLUMNS.map((c) => `coalesce(sum(rd.v) FILTER (WHERE rd.col = '${c}'), 0)`).join(', ')}
           FROM rd, ${neu} GROUP BY rd.day, 2, 3 ORDER BY rd.day DESC
         ON CONFLICT (day, township_code, slot) DO UPDATE SET ${ADD_ALL}
       )`;
}
