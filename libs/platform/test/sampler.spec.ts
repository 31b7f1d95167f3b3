import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ROOT_CONTEXT, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace-base';
import { edgeSampler } from '../src/telemetry';

// Valid trace ids spread over the id space (a fixed set: the test does not depend on chance).
const ids = Array.from({ length: 2000 }, (_, i) => createHash('sha256').update(String(i)).digest('hex').slice(0, 32));
const sampled = (d: SamplingDecision) => d === SamplingDecision.RECORD_AND_SAMPLED;

describe('trace sampling: every sync, a share of status observations', () => {
  it('keeps every root that is not a status observation', () => {
    const s = edgeSampler({ EDGE_TRACE_STATUS_SHARE: '0.1' });
    for (const id of ids.slice(0, 200)) expect(sampled(s.shouldSample(ROOT_CONTEXT, id, 'inventory sync onguard', SpanKind.INTERNAL, {}, []).decision)).toBe(true);
  });

  it('keeps about the configured share of status roots, and none or all at 0 and 1', () => {
    const count = (env: Record<string, string>) => ids.filter((id) => sampled(edgeSampler(env).shouldSample(ROOT_CONTEXT, id, 'status onguard og-1', SpanKind.INTERNAL, {}, []).decision)).length;
    const tenth = count({ EDGE_TRACE_STATUS_SHARE: '0.1' });
    expect(tenth).toBeGreaterThan(ids.length * 0.05);
    expect(tenth).toBeLessThan(ids.length * 0.2);
    expect(count({ EDGE_TRACE_STATUS_SHARE: '0' })).toBe(0);
    expect(count({ EDGE_TRACE_STATUS_SHARE: '1' })).toBe(ids.length);
  });

  it('follows the parent: a consumer span under an unsampled status trace is not recorded, under a sampled one it is', () => {
    const s = edgeSampler({});
    const parent = (flags: TraceFlags) => trace.setSpanContext(ROOT_CONTEXT, { traceId: ids[0], spanId: '0123456789abcdef', traceFlags: flags, isRemote: true });
    expect(sampled(s.shouldSample(parent(TraceFlags.NONE), ids[0], 'process raw.onguard.og-1.status', SpanKind.CONSUMER, {}, []).decision)).toBe(false);
    expect(sampled(s.shouldSample(parent(TraceFlags.SAMPLED), ids[0], 'process raw.onguard.og-1.status', SpanKind.CONSUMER, {}, []).decision)).toBe(true);
  });
});
