import './otel';
import { runService } from '@edge/platform';
import { forwarderDefinition } from './forwarder.module';

runService(forwarderDefinition);
