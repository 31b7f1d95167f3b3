import { readFileSync } from 'node:fs';
import { describeError } from '@edge/platform';
import { EventSubscription, SignalRConnection, type OnGuardSystemConfig, type OpenAccessClient } from '../index';
import type { SurveyContext, VendorFindings } from '@edge/collector-kit/survey';

/**
 * The Web Event Bridge as the collector uses it (reference §5.3): connect, `CreateSubscription`,
 * then a sign of life within the wait — the message-bus callback, an event, or an answered
 * `ConnectionHeartbeat`. What it creates it removes: `StopSubscription`, then `DELETE
 * /event_subscriptions/{id}` (which disables it; OpenAccess does not purge subscriptions, §5.2).
 */
export async function probeBridge(client: OpenAccessClient, cfg: OnGuardSystemConfig, ctx: SurveyContext): Promise<VendorFindings['events']> {
  if (!cfg.events.enabled) return { state: 'skipped', detail: 'events.enabled is false: status comes from polls only', first_sign_ms: null };
  const t0 = Date.now();
  let sign: (() => void) | null = null;
  const signed = new Promise<void>((r) => (sign = r));
  const conn = new SignalRConnection({
    url: `${client.apiBase}/${cfg.events.bridge_path.replace(/^\/+/, '')}`,
    hubs: [cfg.events.hub],
    transport: cfg.events.transport,
    tls: { ca: cfg.tls.ca_file ? readFileSync(cfg.tls.ca_file) : undefined, insecure: cfg.tls.insecure },
    connectTimeoutMs: Math.min(ctx.timeoutMs, cfg.connect_timeout),
    log: ctx.log,
    onMessage: () => sign?.(),
    onClose: () => undefined,
  });
  const wait = ctx.eventsWaitMs;
  let subscriptionId: string | number | null = null;
  try {
    ctx.progress('event bridge: connecting');
    await ctx.meter.time('bridge negotiate/connect/start', () => conn.start());
    const connInfo = { SessionToken: await client.sessionToken(), ApplicationId: client.applicationId };
    const sub = { description: `${cfg.events.description} (survey)`, filter: cfg.events.filter, is_durable: false };
    ctx.progress('event bridge: subscribing');
    let created: unknown;
    try {
      created = await ctx.meter.time('hub CreateSubscription', () => conn.invoke(cfg.events.hub, 'CreateSubscription', [connInfo, sub], wait));
    } catch (e) {
      if (/timeout|no answer|within/i.test(describeError(e)))
        return { state: 'silent', detail: `connected, but the hub did not answer CreateSubscription within ${wait / 1000} s`, first_sign_ms: null };
      throw e;
    }
    const parsed = EventSubscription.safeParse(created);
    subscriptionId = parsed.success ? parsed.data.id : null;
    ctx.progress('event bridge: waiting for a sign of life');
    const heartbeat = ctx.meter
      .time('hub ConnectionHeartbeat', () => conn.invoke(cfg.events.hub, 'ConnectionHeartbeat', [connInfo, { ...sub, id: subscriptionId }], wait))
      .then(() => sign?.());
    heartbeat.catch(() => undefined);
    const alive = await Promise.race([signed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), wait).unref())]);
    if (!alive) return { state: 'silent', detail: `subscribed (id ${subscriptionId ?? '?'}), but nothing came back within ${wait / 1000} s`, first_sign_ms: null };
    return { state: 'ok', detail: `subscribed over ${conn.transport ?? '?'} (subscription ${subscriptionId ?? '?'}, filter "${cfg.events.filter}")`, first_sign_ms: Date.now() - t0 };
  } catch (e) {
    return { state: 'failed', detail: describeError(e), first_sign_ms: null };
  } finally {
    await ctx.meter.time('hub StopSubscription', () => conn.invoke(cfg.events.hub, 'StopSubscription', [], 2_000)).catch(() => undefined);
    await conn.stop().catch(() => undefined);
    if (subscriptionId !== null)
      await client.request({ method: 'DELETE', path: `/event_subscriptions/${encodeURIComponent(String(subscriptionId))}`, schema: EventSubscription.or(EventSubscription.partial()) }).catch((e: unknown) =>
        ctx.log.warn({ err: describeError(e) }, 'the survey could not remove its event subscription'),
      );
  }
}
