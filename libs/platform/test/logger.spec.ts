import { describe, it, expect } from 'vitest';
import { Writable } from 'node:stream';
import { trace, context } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { createLogger, registerSecret, parseConfig } from '@edge/platform';

function capture() {
  const lines: string[] = [];
  const dest = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, dest: dest as unknown as NodeJS.WritableStream & { write(s: string): boolean } };
}

describe('logger', () => {
  it('writes JSON lines and never lets a secret through, by path or by value', async () => {
    parseConfig(
      `site: { id: s, customer_id: c }\ncloud: { base_url: https://x.example, token: tok-AAAA-1111 }\nsystems:\n  - { id: og, vendor: onguard, base_url: https://og, username: u, password: "p@ss w0rd/1" }\n`,
      'x',
      {},
    );
    registerSecret('session-XYZ-123');
    const { lines, dest } = capture();
    const log = createLogger({ service: 'test', level: 'debug', destination: dest });
    log.info({ password: 'p@ss w0rd/1', headers: { Authorization: 'Bearer tok-AAAA-1111' } }, 'login');
    log.warn({ err: 'request to https://og/?token=tok-AAAA-1111 failed' }, 'failed with session-XYZ-123');
    log.error({ nested: { deeper: { value: 'p%40ss%20w0rd%2F1' } } }, 'encoded form');
    log.info({ config: { systems: [{ password: 'p@ss w0rd/1' }], cloud: { token: 'tok-AAAA-1111' } } }, 'config dump');
    log.flush();
    await new Promise((r) => setTimeout(r, 20));
    const out = lines.join('');
    expect(lines.length).toBe(4);
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
    for (const s of ['p@ss w0rd/1', 'tok-AAAA-1111', 'session-XYZ-123', 'p%40ss%20w0rd%2F1']) expect(out).not.toContain(s);
    expect(out).toContain('[REDACTED]');
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'info', service: 'test', msg: 'login' });
  });

  it('adds trace_id and span_id inside a span', async () => {
    const provider = new BasicTracerProvider();
    const tracer = provider.getTracer('t');
    const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const { lines, dest } = capture();
    const log = createLogger({ service: 'test', destination: dest });
    const span = tracer.startSpan('op');
    context.with(trace.setSpan(context.active(), span), () => log.info('inside'));
    log.info('outside');
    span.end();
    log.flush();
    await new Promise((r) => setTimeout(r, 20));
    const [inside, outside] = lines.map((l) => JSON.parse(l));
    expect(inside.trace_id).toBe(span.spanContext().traceId);
    expect(inside.span_id).toBe(span.spanContext().spanId);
    expect(outside.trace_id).toBeUndefined();
  });
});
