/**
 * A small OTLP/HTTP trace receiver (POST /v1/traces, protobuf or JSON, optionally gzip): the
 * demo collects the pipeline's traces with it, and the tests prove with it that one trace links
 * the separate processes. Protobuf is decoded with protobufjs against the fields of
 * opentelemetry/proto/trace/v1 that a trace view needs.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import protobuf from 'protobufjs';

export type AttrValue = string | number | boolean | null | AttrValue[];

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  /** 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startMs: number;
  endMs: number;
  attributes: Record<string, AttrValue>;
  /** Resource attributes of the process that sent it (service.name, edge.site.id, …). */
  resource: Record<string, AttrValue>;
  statusCode: number;
}

export const SPAN_KIND = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;

// --- protobuf (protobufjs, with the subset of opentelemetry/proto/trace/v1 a trace view needs) ---
// Field numbers from https://github.com/open-telemetry/opentelemetry-proto
// (opentelemetry/proto/collector/trace/v1/trace_service.proto, trace/v1/trace.proto,
// common/v1/common.proto, resource/v1/resource.proto); unknown fields are skipped by the decoder.
const OTLP_TRACE_PROTO = `
syntax = "proto3";
package otlp;
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message Resource { repeated KeyValue attributes = 1; }
message ScopeSpans { repeated Span spans = 2; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5; int32 kind = 6;
  fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8; repeated KeyValue attributes = 9; Status status = 15;
}
message Status { int32 code = 3; }
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; ArrayValue array_value = 5; bytes bytes_value = 7; }
}
message ArrayValue { repeated AnyValue values = 1; }
`;
const ExportTraceServiceRequest = protobuf.parse(OTLP_TRACE_PROTO, { keepCase: false }).root.lookupType('otlp.ExportTraceServiceRequest');

interface PbAny {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string;
  doubleValue?: number;
  arrayValue?: { values?: PbAny[] };
  bytesValue?: Uint8Array;
}
const hex = (b?: Uint8Array) => (b && b.length ? Buffer.from(b).toString('hex') : '');
function pbValue(v: PbAny | undefined): AttrValue {
  if (!v) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(pbValue);
  if (v.bytesValue !== undefined) return hex(v.bytesValue);
  return null;
}
const pbAttrs = (l: Array<{ key: string; value?: PbAny }> | undefined) => Object.fromEntries((l ?? []).map((kv) => [kv.key, pbValue(kv.value)]));
const ms = (nanos: string | undefined) => Number(BigInt(nanos ?? '0') / 1_000_000n);

interface PbSpan {
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  parentSpanId?: Uint8Array;
  name?: string;
  kind?: number;
  startTimeUnixNano?: string;
  endTimeUnixNano?: string;
  attributes?: Array<{ key: string; value?: PbAny }>;
  status?: { code?: number };
}

/** Decodes an ExportTraceServiceRequest (protobuf). */
export function decodeTraceRequest(buf: Uint8Array): ReceivedSpan[] {
  const req = ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(buf), { longs: String, defaults: false }) as {
    resourceSpans?: Array<{ resource?: { attributes?: Array<{ key: string; value?: PbAny }> }; scopeSpans?: Array<{ spans?: PbSpan[] }> }>;
  };
  const out: ReceivedSpan[] = [];
  for (const rs of req.resourceSpans ?? []) {
    const resource = pbAttrs(rs.resource?.attributes);
    for (const sc of rs.scopeSpans ?? [])
      for (const sp of sc.spans ?? [])
        out.push({
          traceId: hex(sp.traceId),
          spanId: hex(sp.spanId),
          parentSpanId: hex(sp.parentSpanId) || null,
          name: sp.name ?? '',
          kind: sp.kind ?? 0,
          startMs: ms(sp.startTimeUnixNano),
          endMs: ms(sp.endTimeUnixNano),
          attributes: pbAttrs(sp.attributes),
          resource,
          statusCode: sp.status?.code ?? 0,
        });
  }
  return out;
}

// --- OTLP/JSON ------------------------------------------------------------------------------

interface JsonKv {
  key: string;
  value: Record<string, unknown>;
}
function jsonValue(v: Record<string, unknown> | undefined): AttrValue {
  if (!v) return null;
  if ('stringValue' in v) return String(v.stringValue);
  if ('boolValue' in v) return Boolean(v.boolValue);
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return Number(v.doubleValue);
  if ('arrayValue' in v) return ((v.arrayValue as { values?: Array<Record<string, unknown>> }).values ?? []).map(jsonValue);
  return null;
}
const jsonAttrs = (l: JsonKv[] | undefined) => Object.fromEntries((l ?? []).map((kv) => [kv.key, jsonValue(kv.value)]));

/** Decodes an ExportTraceServiceRequest in OTLP/JSON. */
export function decodeTraceJson(body: unknown): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  const req = body as { resourceSpans?: Array<{ resource?: { attributes?: JsonKv[] }; scopeSpans?: Array<{ spans?: Array<Record<string, unknown>> }> }> };
  for (const rs of req.resourceSpans ?? []) {
    const resource = jsonAttrs(rs.resource?.attributes);
    for (const sc of rs.scopeSpans ?? [])
      for (const sp of sc.spans ?? [])
        out.push({
          traceId: String(sp.traceId ?? ''),
          spanId: String(sp.spanId ?? ''),
          parentSpanId: sp.parentSpanId ? String(sp.parentSpanId) : null,
          name: String(sp.name ?? ''),
          kind: Number(sp.kind ?? 0),
          startMs: Number(BigInt(String(sp.startTimeUnixNano ?? '0')) / 1_000_000n),
          endMs: Number(BigInt(String(sp.endTimeUnixNano ?? '0')) / 1_000_000n),
          attributes: jsonAttrs(sp.attributes as JsonKv[] | undefined),
          resource,
          statusCode: Number((sp.status as { code?: number } | undefined)?.code ?? 0),
        });
  }
  return out;
}

// --- the receiver ---------------------------------------------------------------------------

export interface OtlpReceiver {
  /** What goes in OTEL_EXPORTER_OTLP_ENDPOINT. */
  endpoint: string;
  port: number;
  readonly spans: ReceivedSpan[];
  /** Export requests that could not be decoded. */
  readonly errors: number;
  traces(): Map<string, ReceivedSpan[]>;
  close(): Promise<void>;
}

export async function startOtlpReceiver(o: { port?: number; host?: string; maxSpans?: number } = {}): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const max = o.maxSpans ?? 200_000;
  let errors = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || !(req.url ?? '').startsWith('/v1/traces')) {
        res.writeHead(404).end();
        return;
      }
      try {
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        const json = String(req.headers['content-type'] ?? '').includes('json');
        const got = json ? decodeTraceJson(JSON.parse(body.toString('utf8'))) : decodeTraceRequest(new Uint8Array(body));
        for (const s of got) if (spans.length < max) spans.push(s);
        res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
        res.end(json ? '{}' : undefined);
      } catch {
        errors++;
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://${o.host ?? '127.0.0.1'}:${port}`,
    port,
    spans,
    get errors() {
      return errors;
    },
    traces() {
      const m = new Map<string, ReceivedSpan[]>();
      for (const s of spans) {
        const l = m.get(s.traceId) ?? [];
        l.push(s);
        m.set(s.traceId, l);
      }
      return m;
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** Service name of a span's process. */
export function serviceOf(s: ReceivedSpan): string {
  return String(s.resource['service.name'] ?? '?');
}

/** Renders one trace as an indented tree: `service  span name  (ms)`. */
export function renderTrace(spans: ReceivedSpan[], maxLines = 30): string[] {
  const byParent = new Map<string | null, ReceivedSpan[]>();
  const ids = new Set(spans.map((s) => s.spanId));
  for (const s of spans) {
    const p = s.parentSpanId && ids.has(s.parentSpanId) ? s.parentSpanId : null;
    const l = byParent.get(p) ?? [];
    l.push(s);
    byParent.set(p, l);
  }
  const out: string[] = [];
  const walk = (parent: string | null, depth: number) => {
    for (const s of (byParent.get(parent) ?? []).sort((a, b) => a.startMs - b.startMs)) {
      if (out.length >= maxLines) return;
      out.push(`${'  '.repeat(depth)}${serviceOf(s).padEnd(20 - Math.min(18, depth * 2))} ${s.name} (${s.endMs - s.startMs} ms)`);
      walk(s.spanId, depth + 1);
    }
  };
  walk(null, 0);
  if (spans.length > out.length) out.push(`… ${spans.length - out.length} more span(s)`);
  return out;
}
