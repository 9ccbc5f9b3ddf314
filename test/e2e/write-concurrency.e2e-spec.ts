import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { newId, pointIn, startApi } from './support/harness.js';
import type { ApiHarness } from './support/harness.js';

jest.setTimeout(120_000);

// Reports and transitions of events in one grid (one map cell, one township and day of the rollup) at the same time:
// each writes the map aggregates and stats_daily in one transaction. A report used to lock stats_daily before the map
// rows and a transition the other way round, so the two could deadlock and a report ended in a 500 (a lost report).
const GRID = '330523001002001';
const TW = 'tw.330523001';
const WRITERS = 6;
const ROUNDS = 12;
let api: ApiHarness;
beforeAll(async () => { api = await startApi('write_concurrency'); });
afterAll(async () => { await api?.close(); });

describe('concurrent writers in one grid', () => {
  it('reports, accepts and dispatches running side by side all succeed, and the counts agree with the events', async () => {
    const at = await pointIn(api.db, GRID);
    const gw = await api.as(`gw.${GRID}`);
    const tw = await api.as(TW);
    const statuses: number[] = [];
    const writer = async () => {
      for (let i = 0; i < ROUNDS; i++) {
        const ev = await gw.post('/events', { id: newId(), categoryCode: '0901', description: '并发写入', location: at });
        statuses.push(ev.status);
        if (ev.status !== 201) continue;
        const accepted = await tw.post(`/events/${ev.body.id}/actions`, { type: 'accept' });
        statuses.push(accepted.status);
        if (accepted.status !== 201) continue;
        const dispatched = await tw.post(`/events/${ev.body.id}/actions`, { type: 'dispatch', unitCode: ev.body.suggestedUnitCode });
        statuses.push(dispatched.status);
      }
    };
    await Promise.all(Array.from({ length: WRITERS }, writer));
    expect(statuses.filter((s) => s !== 201)).toEqual([]);
    expect(statuses).toHaveLength(WRITERS * ROUNDS * 3);
    // the aggregates kept in those transactions agree with the events table
    const { rows: [counts] } = await api.db.query(`SELECT
        (SELECT count(*)::int FROM events WHERE grid_code = $1) AS events,
        (SELECT coalesce(sum(n), 0)::int FROM map_region_totals WHERE region_code = $1) AS map,
        (SELECT coalesce(sum(reported), 0)::int FROM stats_daily WHERE township_code = left($1, 9)) AS reported,
        (SELECT count(*)::int FROM events WHERE township_code = left($1, 9)) AS township`, [GRID]);
    expect(counts.map).toBe(counts.events);
    expect(counts.reported).toBe(counts.township);
  });
});
