import { createCollectorModule } from '@edge/collector-kit';
import { createMilestoneCollector } from '@edge/vendor-milestone';

/** One collector per enabled `vendor: milestone` system; POST /sync, cmd.sync, /status from the kit. */
export const MilestoneCollectorModule = createCollectorModule({
  vendor: 'milestone',
  create: (system, rt) => createMilestoneCollector(system, rt.log),
});
