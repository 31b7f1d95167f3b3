import { defineVendor } from '@edge/collector-kit/vendor';
import { GenetecExtras, parseGenetecConfig } from './config';
import { genetecMapper } from './mapper';
import { genetecProbe } from './probe';

/** Genetec Security Center through its Web SDK role: this lib's one registration (named in `@edge/vendors`). */
export const genetecVendor = defineVendor({
  id: 'genetec',
  title: 'Genetec Security Center (Web SDK)',
  label: 'Security Center',
  service: { name: 'collector-genetec', port: 7305 },
  config: {
    extras: GenetecExtras,
    parse: parseGenetecConfig,
    note: 'A status poll projects the state fields of every entity of the last inventory (`projection_batch` entities per call); the event stream holds one persistent SDK connection of the licence while `events` is on.',
  },
  mapper: genetecMapper,
  collector: async () => (await import('./collector.js')).createGenetecCollector,
  probes: (s) => [genetecProbe(s)],
  survey: async () => (await import('./survey/genetec-survey.js')).surveyGenetec,
  simulator: {
    name: 'sim-genetec',
    entry: 'services/simulators/genetec/src/main.ts',
    harness: 'services/simulators/genetec/src/harness.ts',
    port: 18083,
    readyPath: '/_sim/stats',
    silentStream: true,
    demo: {
      system_id: 'sc-demo',
      fields: {
        username: '${DEMO_GENETEC_USER:-edge-svc}',
        password: '${DEMO_GENETEC_PASSWORD:-sim-secret}',
        application_id: '${DEMO_GENETEC_APP_ID:-KxsD11z743Hf5Gq9mv3sim}',
      },
    },
  },
  deploy: { secrets: { SC_PASSWORD: 'sc_password', SC_APPLICATION_ID: 'sc_application_id' } },
});
