import { Injectable } from '@nestjs/common';
import type { OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Server } from 'socket.io';
import type { Namespace } from 'socket.io';
import { MessageType } from 'socket.io-adapter';
import type { ClusterAdapter } from 'socket.io-adapter';
import { LIVE_NAMESPACE } from '#contracts';
import type { LiveClientEvents, LiveServerEvents } from '#contracts';
import { AppConfig, liveTransport } from '#core';
import type { LiveDelivery, LiveSink, LiveTransport } from '#core';

/** socket.io's packet type of an event (socket.io-parser PacketType.EVENT). */
const EVENT_PACKET = 2;

/** The one method of the cluster adapter that reports whether a broadcast reached the stream (protected in its types). */
type Publisher = { publishAndReturnOffset(message: { type: MessageType; data: unknown }): Promise<string> };

/**
 * The worker's side of /live: a socket.io server with the Redis Streams adapter and no HTTP listener, so its broadcasts
 * are appended to the stream every API process reads and replays (connection state recovery). It holds no sockets.
 *
 * `to(rooms).emit()` would swallow a failed append (the adapter only logs it); the relay must know, to keep the outbox
 * row for the next attempt, so a delivery calls the adapter's publish directly — the same message `emit` would append.
 */
@Injectable()
export class LiveEmitter implements LiveSink, OnModuleInit, OnApplicationShutdown {
  private io?: Server<LiveClientEvents, LiveServerEvents>;
  private nsp?: Namespace<LiveClientEvents, LiveServerEvents>;
  private transport?: LiveTransport;

  constructor(private readonly config: AppConfig) {}

  async onModuleInit(): Promise<void> {
    this.transport = await liveTransport(this.config);
    this.io = new Server<LiveClientEvents, LiveServerEvents>(this.transport.options);
    this.nsp = this.io.of(LIVE_NAMESPACE);
  }

  /** Appends each change to the stream, once, to all its rooms; in order (one connection, commands pipelined). */
  async deliver(deliveries: LiveDelivery[]): Promise<void> {
    const adapter = this.nsp!.adapter as unknown as ClusterAdapter & Publisher;
    await Promise.all(deliveries.map((d) => adapter.publishAndReturnOffset({
      type: MessageType.BROADCAST,
      data: { packet: { type: EVENT_PACKET, data: ['change', d.change], nsp: LIVE_NAMESPACE }, opts: { rooms: d.rooms, except: [], flags: {} } },
    })));
  }

  async onApplicationShutdown(): Promise<void> {
    // the server has no engine (no listener), so its adapters are closed one by one rather than with io.close()
    if (this.io) await Promise.allSettled([this.io.of('/').adapter.close(), this.nsp!.adapter.close()]);
    await this.transport?.close();
  }
}
