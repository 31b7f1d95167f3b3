import { EXIT, type CliCommand } from '../command';
import { table } from '../format';
import { ago, duration, gatherStatus, serviceInfo, serviceName, systemsOf, type StatusReply } from './status-replies';

const USAGE = `edge status — every running service of the site, its systems and its backlog

  edge status [--wait MS] [--json] [--raw-events]

Asks edge.<site>.cmd.status; every service answers with its /status. Waits --wait ms for
answers (default 1500). Exit code 0 when all is well, 1 when something needs attention (a
system not connected, the cloud circuit open, dead letters), 3 when no service answers.
--raw-events also prints the last event bodies each system received from its vendor (secrets
scrubbed), and whether they named a device the inventory knows.`;

/** The last raw event bodies the collectors kept (`state.details.events.raw_events`), one line each. */
export function rawEventLines(replies: StatusReply[]): string[] {
  const out: string[] = [];
  for (const s of systemsOf(replies)) {
    const ev = (s.state as { details?: { events?: { raw_events?: Array<{ at?: string; outcome?: string; event?: unknown }>; warning?: string | null } } }).details?.events;
    if (!ev) continue;
    out.push(`${s.system_id} (${s.vendor}): ${ev.raw_events?.length ?? 0} recent event(s)${ev.warning ? ` — ${ev.warning}` : ''}`);
    for (const r of ev.raw_events ?? []) out.push(`  ${r.at ?? '-'} ${r.outcome ?? '-'} ${JSON.stringify(r.event)}`);
  }
  return out;
}

/** What needs an operator's attention in the replies. */
export function problemsOf(replies: StatusReply[]): string[] {
  const out: string[] = [];
  for (const s of systemsOf(replies)) {
    if (s.state.connection !== 'connected') out.push(`system ${s.system_id} (${s.vendor}) is ${s.state.connection}${s.state.last_error ? `: ${s.state.last_error}` : ''}`);
    else if (s.last_sync?.error) out.push(`system ${s.system_id}: last sync failed: ${s.last_sync.error}`);
    const failed = (s.last_sync as { failed_types?: Array<{ type: string; reason: string }> } | null | undefined)?.failed_types ?? [];
    for (const f of failed) out.push(`system ${s.system_id}: last sync partial: ${f.type} could not be listed (${f.reason})`);
  }
  for (const r of replies) {
    const f = r.forwarder;
    if (!f) continue;
    if (f.alert) out.push(`forwarder: ${f.alert}`);
    else if (f.circuit && f.circuit.state !== 'closed') out.push(`forwarder: cloud circuit ${f.circuit.state}`);
    if (f.dlq && f.dlq.messages > 0) out.push(`${f.dlq.messages} dead-lettered message(s): edge dlq list`);
  }
  return out;
}

export const statusCommand: CliCommand = {
  name: 'status',
  summary: 'services, systems, syncs and backlog of the site',
  usage: USAGE,
  options: { wait: { type: 'string' }, 'raw-events': { type: 'boolean' } },
  async run(ctx, _args, values) {
    const waitMs = values.wait === undefined ? 1500 : Number(values.wait);
    const t = ctx.target();
    const { replies, invalid } = await gatherStatus(await ctx.nats(), t.siteId, waitMs);
    const problems = problemsOf(replies);
    if (ctx.json) {
      ctx.out(JSON.stringify({ site_id: t.siteId, services: replies, problems }, null, 2));
      return replies.length === 0 ? EXIT.unreachable : problems.length ? EXIT.failed : EXIT.ok;
    }
    if (replies.length === 0) {
      ctx.err(`no service of site ${t.siteId} answered on ${t.nats.url} within ${waitMs} ms (is it running? npm start)`);
      return EXIT.unreachable;
    }
    ctx.out(`site ${t.siteId}: ${replies.length} service(s) answered${invalid ? ` (${invalid} unreadable answer(s))` : ''}`);
    ctx.out('');
    for (const l of table(
      ['SERVICE', 'VERSION', 'UPTIME', 'RSS'],
      replies.map((r) => {
        const i = serviceInfo(r);
        return [serviceName(r), i?.version ?? '-', duration(i?.uptime_s), i?.rss_mb !== undefined ? `${i.rss_mb} MB` : '-'];
      }),
    ))
      ctx.out(l);
    const systems = systemsOf(replies);
    if (systems.length > 0) {
      ctx.out('');
      for (const l of table(
        ['SYSTEM', 'VENDOR', 'CONNECTION', 'EVENTS', 'LAST SYNC', 'DEVICES', 'RESULT'],
        systems.map((s) => {
          const last = s.last_sync;
          const failed = (last as { failed_types?: Array<{ type: string }> } | null | undefined)?.failed_types ?? [];
          const result = !last ? '-' : s.syncing ? 'running' : last.error ? `failed: ${last.error}` : failed.length ? `partial: ${failed.map((f) => f.type).join(', ')} failed` : last.complete ? 'complete' : 'partial';
          return [s.system_id, s.vendor, s.state.connection, s.state.events ?? '-', ago(last?.finished_at ?? last?.started_at), last?.devices ?? '-', result];
        }),
      ))
        ctx.out(l);
    }
    if (values['raw-events'] === true) {
      const lines = rawEventLines(replies);
      ctx.out('');
      if (lines.length === 0) ctx.out('raw events: no system keeps any (no event stream, or none received yet)');
      for (const l of lines) ctx.out(l);
    }
    for (const r of replies) {
      if (r.normalizer) {
        const emitted = Object.entries(r.normalizer.emitted ?? {})
          .map(([k, v]) => `${k} ${v}`)
          .join(', ');
        ctx.out('');
        ctx.out(`normalizer: processed ${r.normalizer.processed ?? 0}${emitted ? `; emitted ${emitted}` : ''}`);
      }
      if (r.forwarder) {
        const f = r.forwarder;
        const d = f.delivered ?? {};
        const backlog = f.backlog ? `${f.backlog.messages ?? f.backlog.pending ?? 0} waiting${f.backlog.oldest_age_s ? `, oldest ${duration(f.backlog.oldest_age_s)}` : ''}` : 'unknown';
        ctx.out('');
        ctx.out(
          `forwarder: delivered ${d.devices ?? 0} devices, ${d.events ?? 0} events, ${d.syncs_completed ?? 0} syncs; backlog ${backlog}; dlq ${f.dlq?.messages ?? '-'}; cloud ${f.circuit?.state ?? '-'}`,
        );
      }
    }
    if (problems.length) {
      ctx.out('');
      ctx.out('needs attention:');
      for (const p of problems) ctx.out(`  - ${p}`);
      return EXIT.failed;
    }
    return EXIT.ok;
  },
};
