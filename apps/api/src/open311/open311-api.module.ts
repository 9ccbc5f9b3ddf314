import { Module } from '@nestjs/common';
import { Open311Module } from '#core';
import { Open311KeysController } from './open311-keys.controller.js';
import { Open311Controller } from './open311.controller.js';

/** The Open311 door (/open311/v2, outside the /api/v1 prefix) and its admin keys (/api/v1/admin/open311-keys). */
@Module({
  imports: [Open311Module],
  controllers: [Open311KeysController, Open311Controller],
})
export class Open311ApiModule {}
