import { defineVendor } from '@edge/collector-kit/vendor';
import { gatewayUrls } from './client/urls';
import { MilestoneExtras, parseMilestoneConfig } from './config';
import { milestoneMapper } from './mapper';

/** Milestone XProtect through its API Gateway: this lib's one registration (named in `@edge/vendors`). */
export const milestoneVendor = defineVendor({
  id: 'milestone',
  title: 'Milestone XProtect (API Gateway)',
  label: 'XProtect',
  service: { name: 'collector-milestone', port: 7302 },
  config: { extras: MilestoneExtras, parse: parseMilestoneConfig },
  mapper: milestoneMapper,
  collector: async () => (await import('./collector.js')).createMilestoneCollector,
  probes: (s) => [{ url: `${gatewayUrls(s.base_url).root}/API/IDP/connect/token`, headers: {} }],
  survey: async () => (await import('./survey/milestone-survey.js')).surveyMilestone,
  simulator: {
    name: 'sim-milestone',
    entry: 'services/simulators/milestone/src/main.ts',
    harness: 'services/simulators/milestone/src/harness.ts',
    port: 18082,
    // Tokens and event URLs name the host the collector reaches it by.
    args: ['--public-host', '{name}'],
    readyPath: '/_sim/devices',
    demo: { system_id: 'xp-demo', fields: { username: '${DEMO_MILESTONE_USER:-svc-edge}', password: '${DEMO_MILESTONE_PASSWORD:-S1m-Passw0rd!}' } },
  },
  deploy: { secrets: { XP_PASSWORD: 'xp_password' } },
});
