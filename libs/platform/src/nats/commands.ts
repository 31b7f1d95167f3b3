import { createInbox, type NatsConnection, type Msg, type Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { describeError } from '../errors';
import { inboxPrefixOf } from './connection';

/** Core NATS request/reply for control commands (`edge.<site>.cmd.*`). Replies are JSON. */
export function serveCommand(
  nc: NatsConnection,
  subject: string,
  handler: (req: unknown, msg: Msg) => Promise<unknown>,
  log: Logger,
  opts: { queue?: string } = {},
): Subscription {
  return nc.subscribe(subject, {
    queue: opts.queue,
    callback: (err, msg) => {
      if (err) {
        log.warn({ err: describeError(err), subject }, 'command subscription error');
        return;
      }
      void (async () => {
        let req: unknown = {};
        try {
          req = msg.data.length ? JSON.parse(new TextDecoder().decode(msg.data)) : {};
        } catch {
          if (msg.reply) msg.respond(JSON.stringify({ ok: false, error: 'request is not JSON' }));
          return;
        }
        try {
          const out = await handler(req, msg);
          if (msg.reply) msg.respond(JSON.stringify(out ?? { ok: true }));
        } catch (e) {
          log.warn({ err: describeError(e), subject }, 'command failed');
          if (msg.reply) msg.respond(JSON.stringify({ ok: false, error: describeError(e) }));
        }
      })();
    },
  });
}

/** Sends a command and parses the JSON reply. */
export async function requestCommand<T = unknown>(nc: NatsConnection, subject: string, body: unknown = {}, timeoutMs = 10_000): Promise<T> {
  const r = await nc.request(subject, JSON.stringify(body), { timeout: timeoutMs });
  return JSON.parse(new TextDecoder().decode(r.data)) as T;
}

/** Scatter/gather: publishes a request and collects every reply that arrives within `waitMs`. */
export async function gatherReplies<T = unknown>(nc: NatsConnection, subject: string, body: unknown = {}, waitMs = 1500): Promise<T[]> {
  const inbox = createInbox(inboxPrefixOf(nc));
  const out: T[] = [];
  const sub = nc.subscribe(inbox);
  const done = (async () => {
    for await (const m of sub) {
      try {
        out.push(JSON.parse(new TextDecoder().decode(m.data)) as T);
      } catch {
        /* ignore a malformed reply */
      }
    }
  })();
  nc.publish(subject, JSON.stringify(body), { reply: inbox });
  await new Promise((r) => setTimeout(r, waitMs));
  sub.unsubscribe();
  await done;
  return out;
}
