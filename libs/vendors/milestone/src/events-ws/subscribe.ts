import { describeError } from '@edge/platform';
import type { Logger } from 'pino';
import { replyError, type EssConnection } from './ess-connection';
import type { SubscriptionGroup } from './filters';

/** What a session's subscriptions came to: group name → refusal text, for the groups the server refused. */
export type RefusedGroups = Map<string, string>;

/**
 * One `addSubscription` per group, in order. A required group that is not accepted throws (the
 * session is then useless: the caller must not keep it). An optional group refused with a 4xx is
 * recorded (logged once per group and text) and its devices fall back to polling; a 5xx or a
 * timeout throws for any group, since the server's state is then unknown.
 */
export async function subscribeGroups(conn: EssConnection, groups: SubscriptionGroup[], timeoutMs: number, log: Logger, logged: Set<string>): Promise<RefusedGroups> {
  const refused: RefusedGroups = new Map();
  for (const g of groups) {
    const r = await conn.command('addSubscription', { filters: g.filters }, timeoutMs);
    if (r.status >= 200 && r.status < 300) continue;
    const err = replyError('addSubscription', r);
    if (g.required || r.status >= 500 || r.status === 401) throw err;
    const text = describeError(err);
    refused.set(g.name, text);
    const key = `${g.name}:${text}`;
    if (!logged.has(key)) {
      logged.add(key);
      log.warn({ group: g.name, err: text }, 'events: the server refused the subscription of an optional group; its devices are polled instead');
    }
  }
  return refused;
}
