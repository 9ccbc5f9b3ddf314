import { ROLLUP_COLUMNS, ROLLUP_FAMILIES, ROLLUP_SLOT, SHANGHAI_DAY, SPAN, STAGE_ROLLUP } from '../../../../migrations/1797100000001-StatsRollups.js';

export { ROLLUP_COLUMNS, SPAN };

/** Adds each counter of the incoming row to the stored one (an upsert's conflict action on stats_daily). */
const ADD_ALL = ROLLUP_COLUMNS.map((c) => `${c} = stats_daily.${c} + EXCLUDED.${c}`).join(', ');

// A report's own upsert (reported, 自行处置) is the trigger events_report_rollup (migration 1797800000000): it runs after the
// map trigger, so every writer takes the map aggregates' row locks before stats_daily's (no deadlock with transitions).

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
