import { Controller, Inject, Injectable, Module, type OnApplicationShutdown, type Type } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { z } from 'zod';
import { CONSUMERS, DevicesCommandRequest, STREAMS, type DevicesCommandReply, type MapperRegistry } from '@edge/contracts';
import { describeError, EDGE_RUNTIME, openDevicesBucket, sleep, type ConsumerBinding, type Delivery, type EdgeRuntime } from '@edge/platform';
import { createMapperRegistry } from './mappers';
import { Normalizer } from './normalizer';
import { RegistryStore } from './registry-store';

/** Pattern of the `@EventPattern` handler bound to the RAW durable consumer. */
export const RAW_PATTERN = 'raw';

/**
 * The RAW consumer. Many messages in flight keep publishes and registry writes pipelined;
 * decisions still happen one by one in delivery order. Pulling stops while CANONICAL is nearly
 * full (backpressure: the data waits in RAW).
 */
export const normalizerConsumers: ConsumerBinding[] = [
  {
    pattern: RAW_PATTERN,
    stream: STREAMS.raw,
    durable: CONSUMERS.normalizer,
    stage: 'normalizer',
    concurrency: 512,
    fetchBatch: 256,
    downstream: { stream: STREAMS.canonical },
  },
];

export interface NormalizerModuleOptions {
  /** Mapper registry; default: the one every vendor registers in (mappers.ts). */
  mappers?: () => MapperRegistry;
  /** The RAW consumer this instance will be bound to (default: `normalizerConsumers[0]`). */
  consumer?: Pick<ConsumerBinding, 'stream' | 'durable'>;
}

const ConfirmRemovalsRequest = z.object({ system: z.string().min(1) });

const ConsumerInfoReply = z.object({
  num_ack_pending: z.number().int().nonnegative(),
  config: z.object({ ack_wait: z.number().nonnegative().optional() }),
  delivered: z.object({ last_active: z.string().optional() }).optional(),
});

/**
 * After an unclean stop, the previous instance's unacked messages come back only when their ack
 * wait expires; pulling before that would decide newer messages first. JetStream hands out due
 * redeliveries before new messages, so waiting one ack wait keeps decisions in stream order.
 */
async function waitForOrphanedDeliveries(rt: EdgeRuntime, c: Pick<ConsumerBinding, 'stream' | 'durable'>): Promise<void> {
  let reply: unknown;
  try {
    reply = (await rt.nc.request(`$JS.API.CONSUMER.INFO.${c.stream}.${c.durable}`, '', { timeout: 5_000 })).json();
  } catch (e) {
    rt.log.warn({ err: describeError(e) }, 'consumer info unavailable; not waiting for redeliveries');
    return;
  }
  const info = ConsumerInfoReply.safeParse(reply);
  if (!info.success || info.data.num_ack_pending === 0) return;
  // Every orphan was delivered at or before the last delivery: all are due one ack wait after it.
  const ackWaitMs = Math.ceil((info.data.config.ack_wait ?? 30e9) / 1e6);
  const lastActive = Date.parse(info.data.delivered?.last_active ?? '');
  const waitMs = Math.max(0, (Number.isNaN(lastActive) ? Date.now() : lastActive) + ackWaitMs - Date.now()) + 500;
  rt.log.warn({ unacked: info.data.num_ack_pending, wait_ms: waitMs }, 'a previous instance left unacked messages; waiting for their redelivery before consuming');
  await sleep(waitMs);
}

/** The normalizer's Nest module; tests pass their own mappers. */
export function createNormalizerModule(o: NormalizerModuleOptions = {}): Type<unknown> {
  @Controller()
  class RawController {
    constructor(@Inject(Normalizer) private readonly normalizer: Normalizer) {}

    @EventPattern(RAW_PATTERN)
    handle(@Payload() d: Delivery): Promise<void> {
      return this.normalizer.handle(d);
    }

    /** `edge.<site>.cmd.devices`: the registry owner answers `edge devices`. */
    @MessagePattern('cmd.devices')
    devices(@Payload() body: unknown): DevicesCommandReply {
      const q = DevicesCommandRequest.safeParse(body ?? {});
      if (!q.success) return { ok: false, service: 'normalizer', error: q.error.issues.map((i) => `${i.path.join('.') || '(request)'}: ${i.message}`).join('; ') };
      return { ok: true, service: 'normalizer', ...this.normalizer.registry.query(q.data) };
    }

    /** `edge.<site>.cmd.confirm-removals` `{system}`: apply the removals the removal guard holds. */
    @MessagePattern('cmd.confirm-removals')
    async confirmRemovals(@Payload() body: unknown): Promise<{ ok: boolean; service: string; removed?: number; error?: string }> {
      const q = ConfirmRemovalsRequest.safeParse(body ?? {});
      if (!q.success) return { ok: false, service: 'normalizer', error: 'expected {"system": "<system id>"}' };
      return { service: 'normalizer', ...(await this.normalizer.confirmRemovals(q.data.system)) };
    }
  }

  /** Runs after the consumer stopped (Nest closes the transport first). */
  @Injectable()
  class RegistryShutdown implements OnApplicationShutdown {
    constructor(@Inject(Normalizer) private readonly normalizer: Normalizer) {}
    async onApplicationShutdown(): Promise<void> {
      await this.normalizer.close();
    }
  }

  @Module({
    controllers: [RawController],
    providers: [
      RegistryShutdown,
      {
        provide: Normalizer,
        inject: [EDGE_RUNTIME],
        // Resolved before the consumer starts: the registry is in memory before the first message.
        useFactory: async (rt: EdgeRuntime) => {
          const kv = await openDevicesBucket(rt.nc);
          const n = new Normalizer(rt, (o.mappers ?? createMapperRegistry)(), new RegistryStore(kv, rt.log.child({ component: 'registry' })));
          await n.start();
          await waitForOrphanedDeliveries(rt, o.consumer ?? normalizerConsumers[0]);
          return n;
        },
      },
    ],
  })
  class NormalizerModule {}
  return NormalizerModule;
}

export const NormalizerModule = createNormalizerModule();
