import './otel';
import { runService } from '@edge/platform';
import { MilestoneCollectorModule } from './app.module';

runService({ service: 'collector-milestone', module: MilestoneCollectorModule });
