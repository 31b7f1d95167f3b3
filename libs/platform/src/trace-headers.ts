import { context, propagation, ROOT_CONTEXT, type Context } from '@opentelemetry/api';
import type { MsgHdrs } from '@nats-io/transport-node';

/** W3C trace context into and out of NATS headers (no ready NATS instrumentation exists for Node). */
const setter = { set: (h: MsgHdrs, k: string, v: string) => h.set(k, v) };
const getter = {
  keys: (h: MsgHdrs | undefined) => (h ? h.keys() : []),
  get: (h: MsgHdrs | undefined, k: string) => {
    if (!h) return undefined;
    const v = h.get(k);
    return v === '' ? undefined : v;
  },
};

export function injectTraceContext(h: MsgHdrs, ctx: Context = context.active()): void {
  propagation.inject(ctx, h, setter);
}

export function extractTraceContext(h: MsgHdrs | undefined): Context {
  return propagation.extract(ROOT_CONTEXT, h, getter);
}
