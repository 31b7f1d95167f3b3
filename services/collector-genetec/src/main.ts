import './otel';
import { runService } from '@edge/platform';
import { GenetecCollectorModule } from './app.module';

runService({ service: 'collector-genetec', module: GenetecCollectorModule });
