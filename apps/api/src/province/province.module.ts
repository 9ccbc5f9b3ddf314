import { Module } from '@nestjs/common';
import { HotlineModule, loadGatewayConfig } from '#core';
import { PROVINCE_GATEWAYS, ProvinceController } from './province.controller.js';

/** The provincial push door (/api/v1/province/…): 12345 work orders and their 回访 results, signed by the province. */
@Module({
  imports: [HotlineModule],
  controllers: [ProvinceController],
  providers: [{ provide: PROVINCE_GATEWAYS, useFactory: () => loadGatewayConfig(process.env) }],
})
export class ProvinceApiModule {}
