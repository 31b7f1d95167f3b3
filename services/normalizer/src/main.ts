import './otel';
import { runService } from '@edge/platform';
import { NormalizerModule, normalizerConsumers } from './normalizer.module';

runService({ service: 'normalizer', module: NormalizerModule, consumers: normalizerConsumers });
