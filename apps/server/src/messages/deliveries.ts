import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Caller } from '../http/route.js';
import { LOGGER } from '../logger.js';
import { Realtime } from '../realtime/realtime.js';
import { DeliveryLoop, type DeviceLink } from './delivery-loop.js';
import { MessagesService } from './messages.service.js';

/** The delivery loops of the devices connected to this instance, woken when their queues get something. */
@Injectable()
export class Deliveries implements OnApplicationShutdown {
  private readonly loops = new Map<string, DeliveryLoop>();

  constructor(
    private readonly messages: MessagesService,
    realtime: Realtime,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    realtime.onQueued((queued) => {
      for (const [id, envelopes] of queued) this.loops.get(id)?.wake(envelopes);
    });
  }

  /** Starts delivering the device's queue over its link; answers how to stop (when the link goes). */
  start(caller: Caller, link: DeviceLink): () => void {
    const loop = new DeliveryLoop(caller, link, this.messages, (error) =>
      this.log.error({ err: error }, 'delivery failed'),
    );
    this.loops.set(caller.deviceId, loop);
    loop.wake();
    return () => {
      if (this.loops.get(caller.deviceId) === loop) this.loops.delete(caller.deviceId);
    };
  }

  /** Settles when the runs under way now have. */
  settled(): Promise<void> {
    return Promise.all([...this.loops.values()].map((loop) => loop.settled())).then(() => {});
  }

  onApplicationShutdown(): void {
    this.loops.clear();
  }
}
