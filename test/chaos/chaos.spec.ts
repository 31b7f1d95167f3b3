/**
 * The full chaos suite (`npm run test:chaos`, about 15 minutes): every scenario of
 * lib/scenarios.ts at full length — SIGKILL of each service mid-flow, NATS restart, a three-minute
 * cloud outage, connection refusals, a 429 storm, a slow cloud, dropped and silent event streams,
 * vendor API restarts — checked against the simulators' ledgers. See docs/RELIABILITY.md.
 */
import { defineChaosSuite } from './lib/suite';

defineChaosSuite({ title: 'chaos (full)', scale: 1 });
