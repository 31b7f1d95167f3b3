import { startTelemetry } from '@edge/platform/telemetry';

// Loaded first by main.ts so instrumentation is in place before anything else is imported.
startTelemetry('normalizer');
