import { Global, Module, type DynamicModule } from '@nestjs/common';
import { EDGE_RUNTIME, type EdgeRuntime } from '../runtime';

/** Makes the service runtime (config, logger, NATS, publisher, status) injectable everywhere. */
@Global()
@Module({})
export class PlatformModule {
  static forRuntime(rt: EdgeRuntime): DynamicModule {
    return {
      module: PlatformModule,
      providers: [{ provide: EDGE_RUNTIME, useValue: rt }],
      exports: [EDGE_RUNTIME],
    };
  }
}
