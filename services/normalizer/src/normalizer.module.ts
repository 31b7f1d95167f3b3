import { Catch, Controller, Inject, Module, UseFilters, type RpcExceptionFilter, type Type } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { throwError, type Observable } from 'rxjs';
import { CONSUMERS, STREAMS, type MapperRegistry } from '@edge/contracts';
import { EDGE_RUNTIME, openDevicesBucket, type ConsumerBinding, type Delivery, type EdgeRuntime } from '@edge/platform';
import { createMapperRegistry } from './mappers';
import { Normalizer } from './normalizer';
import { RegistryStore } from './registry-store';

/** Pattern of the `@EventPattern` handler bound to the RAW durable consumer. */
export const RAW_PATTERN = 'raw';

/**
 * The RAW consumer. Many messages in flight keep publishes and registry writes pipelined;
 * decisions still happen one by one in delivery order.
 */
export const normalizerConsumers: ConsumerBinding[] = [
  { pattern: RAW_PATTERN, stream: STREAMS.raw, durable: CONSUMERS.normalizer, stage: 'normalizer', concurrency: 512, fetchBatch: 256 },
];

/**
 * Nest's default RPC filter turns every error into a generic "Internal server error"; the
 * consume loop decides by error kind (permanent → DLQ, retryable → redeliver), so errors
 * must reach it as thrown.
 */
@Catch()
class PassErrorsThrough implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}

export interface NormalizerModuleOptions {
  /** Mapper registry; default: the one every vendor registers in (mappers.ts). */
  mappers?: () => MapperRegistry;
}

/** The normalizer's Nest module; tests pass their own mappers. */
export function createNormalizerModule(o: NormalizerModuleOptions = {}): Type<unknown> {
  @Controller()
  @UseFilters(new PassErrorsThrough())
  class RawController {
    constructor(@Inject(Normalizer) private readonly normalizer: Normalizer) {}

    @EventPattern(RAW_PATTERN)
    handle(@Payload() d: Delivery): Promise<void> {
      return this.normalizer.handle(d);
    }
  }

  @Module({
    controllers: [RawController],
    providers: [
      {
        provide: Normalizer,
        inject: [EDGE_RUNTIME],
        // Resolved before the consumer starts: the registry is in memory before the first message.
        useFactory: async (rt: EdgeRuntime) => {
          const kv = await openDevicesBucket(rt.nc);
          const n = new Normalizer(rt, (o.mappers ?? createMapperRegistry)(), new RegistryStore(kv, rt.log.child({ component: 'registry' })));
          await n.start();
          return n;
        },
      },
    ],
  })
  class NormalizerModule {}
  return NormalizerModule;
}

export const NormalizerModule = createNormalizerModule();
