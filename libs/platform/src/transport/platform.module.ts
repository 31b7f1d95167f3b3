import { Catch, Global, Module, type DynamicModule, type RpcExceptionFilter } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { throwError, type Observable } from 'rxjs';
import { EDGE_RUNTIME, type EdgeRuntime } from '../runtime';

/**
 * Hands handler errors back to the transport untouched. Nest's default filter would turn an
 * EdgeError into a generic object and lose its kind, and the consume loop settles by kind.
 */
@Catch()
export class PassThroughRpcFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}

/** Makes the service runtime (config, logger, NATS, publisher, status) injectable everywhere. */
@Global()
@Module({})
export class PlatformModule {
  static forRuntime(rt: EdgeRuntime): DynamicModule {
    return {
      module: PlatformModule,
      providers: [
        { provide: EDGE_RUNTIME, useValue: rt },
        { provide: APP_FILTER, useClass: PassThroughRpcFilter },
      ],
      exports: [EDGE_RUNTIME],
    };
  }
}
