/**
 * The chaos suite shortened to fit `npm test` (about 2.5 minutes): the scenarios of the full suite
 * (test/chaos, `npm run test:chaos`) with the same stack and ledger check (zero lost, no
 * misorder, no new-id duplicate), but faults of seconds instead of minutes; the 40 s silent event
 * stream runs in the full suite only. `npm test` runs on shared, busy machines, so the recovery
 * time is measured and reported against each scenario's bound but not asserted here; the full
 * suite asserts the bounds. See docs/RELIABILITY.md.
 */
import { VENDORS } from '@edge/vendors';
import { defineChaosSuite } from '../chaos/lib/suite';

defineChaosSuite({
  title: 'chaos (short)',
  scale: 0.05,
  enforceBounds: false,
  pick: [
    ...VENDORS.map((v) => `SIGKILL ${v.service.name}`),
    'SIGKILL normalizer',
    'SIGKILL forwarder',
    'NATS server',
    'cloud outage',
    'cloud refuses',
    '429 storm',
    'slow cloud',
    'event streams of every vendor dropped',
    'vendor APIs restart',
  ],
});
