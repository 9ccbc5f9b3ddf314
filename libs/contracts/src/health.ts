/** Health checks (liveness and readiness). */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { Closed, Shape } from './schema.js';

export const HealthLiveSchema = Shape('HealthLive', { status: Type.Literal('ok') });
export type HealthLive = Static<typeof HealthLiveSchema>;

export const HealthReadySchema = Shape('HealthReady', {
  status: Type.Literal('ok'),
  checks: Closed({
    postgres: Type.String({ description: '`ok (postgis <version>)`' }),
    redis: Type.String(),
  }),
});
export type HealthReady = Static<typeof HealthReadySchema>;
