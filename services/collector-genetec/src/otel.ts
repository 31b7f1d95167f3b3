import { startTelemetry } from '@edge/platform/telemetry';

startTelemetry('collector-genetec');
