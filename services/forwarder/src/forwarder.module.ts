import { Catch, Controller, Inject, Module, UseFilters, type RpcExceptionFilter } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { throwError, type Observable } from 'rxjs';
import { CONSUMERS, STREAMS } from '@edge/contracts';
import { EDGE_RUNTIME, type ConsumerBinding, type Delivery, type EdgeConfig, type EdgeRuntime, type ServiceOptions } from '@edge/platform';
import { handleDlqCommand } from './dlq-command';
import { Forwarder, FORWARDER_PATTERN, forwarderConcurrency } from './forwarder';

/**
 * Nest's default RPC filter turns every thrown error into "Internal server error"; the consume
 * loop decides by the error's kind (permanent → DLQ), so the original error must come through.
 */
@Catch()
class KeepErrorKind implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}

@Controller()
@UseFilters(new KeepErrorKind())
class ForwarderController {
  constructor(
    @Inject(Forwarder) private readonly forwarder: Forwarder,
    @Inject(EDGE_RUNTIME) private readonly rt: EdgeRuntime,
  ) {}

  @EventPattern(FORWARDER_PATTERN)
  canonical(@Payload() d: Delivery): Promise<void> {
    return this.forwarder.accept(d);
  }

  @MessagePattern('cmd.dlq')
  dlq(@Payload() body: unknown) {
    return handleDlqCommand(this.rt, body);
  }
}

@Module({ providers: [Forwarder], controllers: [ForwarderController] })
export class ForwarderModule {}

export function forwarderBindings(config: EdgeConfig): ConsumerBinding[] {
  return [
    {
      pattern: FORWARDER_PATTERN,
      stream: STREAMS.canonical,
      durable: CONSUMERS.forwarder,
      stage: 'forwarder',
      concurrency: forwarderConcurrency(config.cloud.batch.max_items),
      fetchBatch: 256,
    },
  ];
}

/** Everything `runService`/`startService` needs to run the forwarder with `config`. */
export function forwarderService(config: EdgeConfig, over: Partial<ServiceOptions> = {}): ServiceOptions {
  return { service: 'forwarder', module: ForwarderModule, consumers: forwarderBindings(config), config, ...over };
}
