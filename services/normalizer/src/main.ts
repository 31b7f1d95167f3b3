import './otel';
import { runService } from '@edge/platform';
import { normalizerDefinition } from './normalizer.module';

runService(normalizerDefinition);
