import { createCollectorModule } from '@edge/collector-kit';
import { createOnGuardCollector } from '@edge/vendor-onguard';

/** One OnGuard collector per configured `vendor: onguard` system; POST /sync, cmd.sync and /status come with it. */
export const OnGuardCollectorModule = createCollectorModule({
  vendor: 'onguard',
  create: (system, rt) => createOnGuardCollector(system, rt.log),
});
