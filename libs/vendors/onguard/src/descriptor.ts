import { defineVendor } from '@edge/collector-kit/vendor';
import { AUDIT_LOAD_NOTE, OnGuardExtras, openAccessBase, parseOnGuardSystem } from './config';
import { onguardMapper } from './mapper';

/** Lenel OnGuard through OpenAccess: this lib's one registration (named in `@edge/vendors`). */
export const onguardVendor = defineVendor({
  id: 'onguard',
  title: 'Lenel OnGuard (OpenAccess)',
  label: 'OnGuard',
  service: { name: 'collector-onguard', port: 7301 },
  config: { extras: OnGuardExtras, parse: parseOnGuardSystem, note: AUDIT_LOAD_NOTE },
  mapper: onguardMapper,
  collector: async () => (await import('./collector.js')).createOnGuardCollector,
  probes: (s) => {
    const headers: Record<string, string> = typeof s.application_id === 'string' ? { 'Application-Id': s.application_id } : {};
    return [{ url: `${openAccessBase(s.base_url)}/version?version=1.0`, headers }];
  },
  survey: async () => (await import('./survey/onguard-survey.js')).surveyOnGuard,
  simulator: {
    name: 'sim-onguard',
    entry: 'services/simulators/onguard/src/main.ts',
    harness: 'services/simulators/onguard/src/harness.ts',
    port: 18081,
    readyPath: '/_sim/devices',
    silentStream: true,
    demo: {
      system_id: 'og-demo',
      fields: {
        username: '${DEMO_ONGUARD_USER:-sa}',
        password: '${DEMO_ONGUARD_PASSWORD:-sim-sa-password}',
        directory_id: 'id-1',
        application_id: '${DEMO_ONGUARD_APP_ID:-OPEN_ACCESS_NON_PRODUCTION}',
      },
    },
  },
  deploy: { secrets: { OG_PASSWORD: 'og_password', OG_APPLICATION_ID: 'og_application_id' } },
});
