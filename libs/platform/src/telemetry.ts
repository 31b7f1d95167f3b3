import { NodeSDK } from '@opentelemetry/sdk-node';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SamplingResult,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { trace, type Attributes, type Context, type Link, type SpanKind, type Tracer } from '@opentelemetry/api';

let sdk: NodeSDK | null = null;

/** Share of status-observation traces kept when EDGE_TRACE_STATUS_SHARE does not say (0..1). */
export const DEFAULT_STATUS_TRACE_SHARE = 0.1;

/** Root spans of status observations (collector-kit raw-publisher: `status <vendor> <system>`). */
const STATUS_ROOT = /^status /;

/**
 * Which traces are recorded, decided at the root and followed by every span under it (the
 * sampled flag travels in the W3C trace context, also through NATS headers): every inventory
 * sync, command and other root is kept; of the status observations — the high-rate health
 * traffic — a share (`EDGE_TRACE_STATUS_SHARE`, default 10 %), chosen by trace id. Unsampled
 * spans are non-recording: no attributes, no export, almost no cost on the hot path.
 */
export class EdgeRootSampler implements Sampler {
  private readonly status: Sampler;
  constructor(readonly statusShare: number = DEFAULT_STATUS_TRACE_SHARE) {
    this.status = new TraceIdRatioBasedSampler(statusShare);
  }
  shouldSample(ctx: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    if (STATUS_ROOT.test(name)) return this.status.shouldSample(ctx, traceId, name, kind, attributes, links);
    return { decision: SamplingDecision.RECORD_AND_SAMPLED };
  }
  toString(): string {
    return `EdgeRootSampler{status=${this.statusShare}}`;
  }
}

/** The sampler of every service: parent-based, with EdgeRootSampler for roots. */
export function edgeSampler(env: NodeJS.ProcessEnv = process.env): Sampler {
  const raw = env.EDGE_TRACE_STATUS_SHARE;
  const share = raw === undefined || raw === '' ? DEFAULT_STATUS_TRACE_SHARE : Math.min(1, Math.max(0, Number(raw)));
  return new ParentBasedSampler({ root: new EdgeRootSampler(Number.isFinite(share) ? share : DEFAULT_STATUS_TRACE_SHARE) });
}

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
    sampler: edgeSampler(),
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
