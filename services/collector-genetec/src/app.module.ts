import { createCollectorModule } from '@edge/collector-kit';
import { createGenetecCollector } from '@edge/vendor-genetec';

/** One collector per enabled `vendor: genetec` system; POST /sync, cmd.sync, /status from the kit. */
export const GenetecCollectorModule = createCollectorModule({
  vendor: 'genetec',
  create: (system, rt) => createGenetecCollector(system, rt.log),
});
