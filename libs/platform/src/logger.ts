import pino, { type DestinationStream, type Logger } from 'pino';
import { trace } from '@opentelemetry/api';
import { scrubSecrets } from './secrets';

export type { Logger } from 'pino';

/** Paths pino removes before serialising; the secret scrub in `streamWrite` catches the rest. */
export const REDACT_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'token',
  '*.token',
  '*.*.token',
  'headers.authorization',
  'headers.Authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
  'config.headers.Authorization',
  'req.headers.authorization',
  'Authorization',
  'authorization',
  'session_token',
  '*.session_token',
  'access_token',
  '*.access_token',
  'Session-Token',
  'headers["Session-Token"]',
  '*.headers["Session-Token"]',
  'systems[*].password',
  'cloud.token',
];

export interface LoggerOptions {
  service: string;
  level?: string;
  base?: Record<string, unknown>;
  destination?: DestinationStream;
}

/** JSON logs with trace_id/span_id inside a span, secrets redacted by path and by value. */
export function createLogger(opts: LoggerOptions): Logger {
  return pino(
    {
      level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
      base: { service: opts.service, pid: process.pid, ...opts.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      formatters: { level: (label) => ({ level: label }) },
      mixin() {
        const span = trace.getActiveSpan();
        if (!span) return {};
        const c = span.spanContext();
        return { trace_id: c.traceId, span_id: c.spanId };
      },
      hooks: { streamWrite: (s) => scrubSecrets(s) },
    },
    opts.destination ?? stdoutDestination(),
  );
}

/**
 * Standard output, asynchronously. A reader that went away (the supervisor died, a closed pipe:
 * EPIPE) must not crash the service in the middle of its drain: the error is swallowed and the
 * lines have nowhere to go.
 */
function stdoutDestination(): DestinationStream {
  const dest = pino.destination({ fd: 1, sync: false });
  dest.on('error', () => undefined);
  return dest;
}
