import { Module } from '@nestjs/common';
import { IrsModule, loadIrsSettings } from '#core';
import { IrsController } from './irs.controller.js';

/**
 * 信息核查 through the IRS gateway (/api/v1/irs/person, /api/v1/irs/enterprise). The settings (GATEWAY_IRS_*,
 * GATEWAY_TIMEOUT_MS, IRS_LOOKUPS_PER_MINUTE/_PER_DAY, IRS_LOOKUP_ATTEMPTS) are read once when the module starts, as
 * the provincial door reads its gateways: a bad variable stops start-up with its name.
 */
@Module({
  imports: [IrsModule.register((gateways) => loadIrsSettings(process.env, gateways))],
  controllers: [IrsController],
})
export class IrsApiModule {}
