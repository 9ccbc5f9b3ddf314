import { Module } from '@nestjs/common';
import { AuthModule, CoreModule } from '#core';
import { LiveServer } from './live.server.js';
import { SessionWatch } from './session-watch.js';

/** The socket.io namespace /live on this API process (see LiveServer). */
@Module({ imports: [CoreModule, AuthModule], providers: [LiveServer, SessionWatch] })
export class LiveModule {}
