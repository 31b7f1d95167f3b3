/**
 * A small OTLP/HTTP trace receiver (POST /v1/traces, protobuf or JSON, optionally gzip): the
 * demo collects the pipeline's traces with it, and the tests prove with it that one trace links
 * the separate processes. It decodes the protobuf wire format directly — only the fields of
 * opentelemetry/proto/trace/v1 that a trace view needs.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

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

// --- protobuf wire format -------------------------------------------------------------------

interface Field {
  no: number;
  wire: number;
  /** varint / fixed values */
  num?: bigint;
  bytes?: Uint8Array;
}

function* fields(buf: Uint8Array): Generator<Field> {
  let i = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (i >= buf.length) throw new Error('truncated varint');
      const b = buf[i++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const no = key >>> 3;
    const wire = key & 7;
    if (wire === 0) yield { no, wire, num: varint() };
    else if (wire === 1) {
      const v = new DataView(buf.buffer, buf.byteOffset + i, 8).getBigUint64(0, true);
      i += 8;
      yield { no, wire, num: v };
    } else if (wire === 2) {
      const len = Number(varint());
      const bytes = buf.subarray(i, i + len);
      i += len;
      yield { no, wire, bytes };
    } else if (wire === 5) {
      const v = new DataView(buf.buffer, buf.byteOffset + i, 4).getUint32(0, true);
      i += 4;
      yield { no, wire, num: BigInt(v) };
    } else throw new Error(`unsupported wire type ${wire}`);
  }
}

const text = (b?: Uint8Array) => (b ? Buffer.from(b).toString('utf8') : '');
const hex = (b?: Uint8Array) => (b && b.length ? Buffer.from(b).toString('hex') : '');

function anyValue(buf: Uint8Array): AttrValue {
  for (const f of fields(buf)) {
    switch (f.no) {
      case 1:
        return text(f.bytes);
      case 2:
        return f.num !== 0n;
      case 3:
        return Number(BigInt.asIntN(64, f.num ?? 0n));
      case 4: {
        const dv = new DataView(new ArrayBuffer(8));
        dv.setBigUint64(0, f.num ?? 0n, true);
        return dv.getFloat64(0, true);
      }
      case 5:
        return [...fields(f.bytes!)].filter((x) => x.no === 1).map((x) => anyValue(x.bytes!));
      case 7:
        return hex(f.bytes);
      default:
        break;
    }
  }
  return null;
}

function keyValues(list: Uint8Array[]): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const kv of list) {
    let key = '';
    let value: AttrValue = null;
    for (const f of fields(kv)) {
      if (f.no === 1) key = text(f.bytes);
      else if (f.no === 2) value = anyValue(f.bytes!);
    }
    out[key] = value;
  }
  return out;
}

function decodeSpan(buf: Uint8Array, resource: Record<string, AttrValue>): ReceivedSpan {
  const s: ReceivedSpan = { traceId: '', spanId: '', parentSpanId: null, name: '', kind: 0, startMs: 0, endMs: 0, attributes: {}, resource, statusCode: 0 };
  const attrs: Uint8Array[] = [];
  for (const f of fields(buf)) {
    if (f.no === 1) s.traceId = hex(f.bytes);
    else if (f.no === 2) s.spanId = hex(f.bytes);
    else if (f.no === 4) s.parentSpanId = hex(f.bytes) || null;
    else if (f.no === 5) s.name = text(f.bytes);
    else if (f.no === 6) s.kind = Number(f.num);
    else if (f.no === 7) s.startMs = Number((f.num ?? 0n) / 1_000_000n);
    else if (f.no === 8) s.endMs = Number((f.num ?? 0n) / 1_000_000n);
    else if (f.no === 9) attrs.push(f.bytes!);
    else if (f.no === 15) for (const g of fields(f.bytes!)) if (g.no === 3) s.statusCode = Number(g.num);
  }
  s.attributes = keyValues(attrs);
  return s;
}

/** Decodes an ExportTraceServiceRequest (protobuf). */
export function decodeTraceRequest(buf: Uint8Array): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of fields(buf)) {
    if (rs.no !== 1) continue;
    let resource: Record<string, AttrValue> = {};
    const scopes: Uint8Array[] = [];
    for (const f of fields(rs.bytes!)) {
      if (f.no === 1) resource = keyValues([...fields(f.bytes!)].filter((x) => x.no === 1).map((x) => x.bytes!));
      else if (f.no === 2) scopes.push(f.bytes!);
    }
    for (const sc of scopes) for (const f of fields(sc)) if (f.no === 2) out.push(decodeSpan(f.bytes!, resource));
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
