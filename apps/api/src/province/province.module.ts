import { Module } from '@nestjs/common';
import { CoreModule, HotlineModule } from '#core';
import { HotlineOrdersController } from './hotline-orders.controller.js';
import { ProvinceController } from './province.controller.js';

/**
 * The provincial push door (/api/v1/province/…): 12345 work orders and their 回访 results, signed by the province; and
 * the order behind an event for the workspaces (/api/v1/events/{id}/hotline-order, contact masked or, with a reason, audited).
 */
@Module({
  imports: [CoreModule, HotlineModule],
  controllers: [ProvinceController, HotlineOrdersController],
})
export class ProvinceApiModule {}
