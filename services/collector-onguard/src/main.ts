import './otel';
import { runService } from '@edge/platform';
import { OnGuardCollectorModule } from './collector-onguard.module';

runService({ service: 'collector-onguard', module: OnGuardCollectorModule });
