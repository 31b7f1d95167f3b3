import { NodeSDK } from '@opentelemetry/sdk-node';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { trace, type Tracer } from '@opentelemetry/api';

let sdk: NodeSDK | null = null;

/** True when the standard OTEL_* variables ask for an exporter. */
export function otlpConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED === 'true') return false;
  if (env.OTEL_TRACES_EXPORTER === 'none') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_TRACES_EXPORTER === 'otlp');
}

/**
 * Starts the OpenTelemetry SDK. Call before anything else is loaded (services import
 * `./otel` first). Spans are always created so trace ids reach logs and NATS headers; they are
 * exported over OTLP only when OTEL_* says so.
 */
export function startTelemetry(serviceName: string, attributes: Record<string, string> = {}): void {
  if (sdk) return;
  const processors: SpanProcessor[] = otlpConfigured() ? [new BatchSpanProcessor(new OTLPTraceExporter())] : [];
  sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME || serviceName,
    resource: resourceFromAttributes({ 'service.namespace': 'edge', ...attributes }),
    spanProcessors: processors,
    instrumentations: [
      new HttpInstrumentation({
        // Health probes and status polls are noise in traces.
        ignoreIncomingRequestHook: (req) => /^\/(healthz|readyz|status)/.test(req.url ?? ''),
        headersToSpanAttributes: { client: { requestHeaders: [] }, server: { requestHeaders: [] } },
      }),
    ],
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
}

export async function shutdownTelemetry(): Promise<void> {
  const s = sdk;
  sdk = null;
  if (s) await s.shutdown().catch(() => undefined);
}

export function tracer(name = 'edge'): Tracer {
  return trace.getTracer(name);
}
