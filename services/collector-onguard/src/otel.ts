import { startTelemetry } from '@edge/platform/telemetry';

// Loaded first by main.ts so the HTTP instrumentation sees every OpenAccess call.
startTelemetry('collector-onguard', { 'edge.vendor': 'onguard' });
