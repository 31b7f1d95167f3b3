import { startTelemetry } from '@edge/platform/telemetry';

// Loaded first by main.ts: the HTTP instrumentation must patch node:http before axios loads it.
startTelemetry('forwarder');
