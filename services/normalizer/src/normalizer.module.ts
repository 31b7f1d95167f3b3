import { Controller, Inject, Injectable, Module, type OnApplicationShutdown, type Type } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { z } from 'zod';
import { BUCKETS, CONSUMERS, DevicesCommandRequest, HealthCommandRequest, STREAMS, type DevicesCommandReply, type HealthCommandReply, type MapperRegistry } from '@edge/contracts';
import { defineService, EDGE_RUNTIME, KvWriter, openDevicesBucket, type ConsumerBinding, type Delivery, type EdgeRuntime } from '@edge/platform';
import { createMapperRegistry } from './mappers';
import { Normalizer } from './normalizer';
import { RegistryStore } from './registry-store';

/** Pattern of the `@EventPattern` handler bound to the RAW durable consumer. */
export const RAW_PATTERN = 'raw';

/**
 * The RAW consumer. Many messages in flight keep publishes and registry writes pipelined;
 * decisions still happen one by one in delivery order. Pulling stops while CANONICAL is nearly
 * full (backpressure: the data waits in RAW).
 *
 * 256 in flight, not more: with 512 the normalizer's peak RSS in a 50 000-device sync was
 * 206–229 MB, with 256 it was 181–192 MB, and neither the sync nor the e2e burst got slower
 * (bench/README.md, "In flight in the normalizer").
 */
export const normalizerConsumers: ConsumerBinding[] = [
  {
    pattern: RAW_PATTERN,
    stream: STREAMS.raw,
    durable: CONSUMERS.normalizer,
    stage: 'normalizer',
    concurrency: 256,
    fetchBatch: 256,
    downstream: { stream: STREAMS.canonical },
  },
];

export interface NormalizerModuleOptions {
  /** Mapper registry; default: every vendor's of the vendor list (mappers.ts). */
  mappers?: () => MapperRegistry;
  /** The RAW consumer this instance will be bound to (default: `normalizerConsumers[0]`). */
  consumer?: Pick<ConsumerBinding, 'stream' | 'durable'>;
}

const ConfirmRemovalsRequest = z.object({ system: z.string().min(1) });

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
    async devices(@Payload() body: unknown): Promise<DevicesCommandReply> {
      const q = DevicesCommandRequest.safeParse(body ?? {});
      if (!q.success) return { ok: false, service: 'normalizer', error: q.error.issues.map((i) => `${i.path.join('.') || '(request)'}: ${i.message}`).join('; ') };
      return { ok: true, service: 'normalizer', ...(await this.normalizer.queryDevices(q.data)) };
    }

    /** `edge.<site>.cmd.health`: recent health events and the outage timeline (the status page). */
    @MessagePattern('cmd.health')
    health(@Payload() body: unknown): HealthCommandReply {
      const q = HealthCommandRequest.safeParse(body ?? {});
      if (!q.success) return { ok: false, service: 'normalizer', error: q.error.issues.map((i) => `${i.path.join('.') || '(request)'}: ${i.message}`).join('; ') };
      return { ok: true, service: 'normalizer', ...this.normalizer.timeline.query(q.data) };
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
          // Journal and compaction writes without a nats.js request per put (bench/README.md).
          const store = new RegistryStore(kv, rt.log.child({ component: 'registry' }), {}, new KvWriter(rt.nc, BUCKETS.devices));
          const n = new Normalizer(rt, (o.mappers ?? createMapperRegistry)(), store);
          await n.start();
          // (A previous instance's unacked messages: the platform's consumer holds until they are due.)
          return n;
        },
      },
    ],
  })
  class NormalizerModule {}
  return NormalizerModule;
}

export const NormalizerModule = createNormalizerModule();

/** The normalizer service (its `main.ts` is `runService(normalizerDefinition)`). */
export const normalizerDefinition = defineService({ service: 'normalizer', module: () => NormalizerModule, consumers: () => normalizerConsumers });
