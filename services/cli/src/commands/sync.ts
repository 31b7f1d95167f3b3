import { z } from 'zod';
import { gatherReplies, sleep } from '@edge/platform';
import { subjects } from '@edge/contracts';
import { EXIT, UsageError, type CliCommand } from '../command';
import { table } from '../format';
import { gatherStatus, systemsOf, type SyncReport } from './status-replies';

const USAGE = `edge sync [system] — run a full inventory sync now (all systems, or one)

  edge sync [system] [--wait] [--json]
  edge sync --confirm-removals <system>

Asks edge.<site>.cmd.sync; the collector serving each system starts a sync (a sync already
running is joined, not doubled). With --wait, follows the syncs through edge status until they
finish or --timeout ms pass (default 10000; large sites take minutes: raise it), and exits 1 if
one failed. The same is POST /sync on a collector's status port.

--confirm-removals <system>: a complete sync that would remove more than removal_guard.max_fraction
of a system's devices (and more than removal_guard.min_devices) is held by the normalizer until the
next complete sync confirms it (edge status shows the hold). This applies the held removals now
(edge.<site>.cmd.confirm-removals; POST /confirm-removals {"system"} on the normalizer).`;

const ConfirmReply = z.object({ ok: z.boolean(), removed: z.number().optional(), error: z.string().optional() }).passthrough();

/** A collector's answer to cmd.sync (collector-kit): accepted systems, or skipped when it does not serve the system. */
const SyncReply = z
  .object({
    service: z.string().optional(),
    ok: z.boolean().optional(),
    skipped: z.boolean().optional(),
    error: z.string().optional(),
    accepted: z.array(z.object({ system_id: z.string(), sync_id: z.string().nullable() })).optional(),
  })
  .passthrough();

export const syncCommand: CliCommand = {
  name: 'sync',
  summary: 'start an inventory sync of every system, or of one',
  usage: USAGE,
  options: { wait: { type: 'boolean' }, 'confirm-removals': { type: 'string' } },
  async run(ctx, args, values) {
    const confirm = values['confirm-removals'];
    if (typeof confirm === 'string') {
      if (args.length > 0 || values.wait) throw new UsageError('--confirm-removals takes only the system id');
      const r = ConfirmReply.safeParse(await ctx.request(subjects.cmdConfirmRemovals(ctx.target().siteId), { system: confirm }));
      if (!r.success) {
        ctx.err('the normalizer gave no usable answer');
        return EXIT.failed;
      }
      if (ctx.json) ctx.out(JSON.stringify(r.data, null, 2));
      else if (r.data.ok) ctx.out(`held removals of ${confirm} applied: ${r.data.removed ?? 0} devices removed`);
      else ctx.err(r.data.error ?? 'refused');
      return r.data.ok ? EXIT.ok : EXIT.failed;
    }
    if (args.length > 1) throw new UsageError('sync takes at most one system id');
    const system = args[0];
    const t = ctx.target();
    const nc = await ctx.nats();
    // Every collector answers for its own systems: gather all answers, not just the first.
    const raw = await gatherReplies<unknown>(nc, subjects.cmdSync(t.siteId), system ? { system } : {}, Math.min(ctx.timeoutMs, 2000));
    const replies = raw.map((r) => SyncReply.safeParse(r)).flatMap((p) => (p.success ? [p.data] : []));
    const accepted = replies.flatMap((r) => r.accepted ?? []);
    const refused = replies.filter((r) => r.ok === false);
    if (replies.length === 0) {
      ctx.err(`no collector of site ${t.siteId} answered on ${subjects.cmdSync(t.siteId)} (is it running?)`);
      return EXIT.unreachable;
    }
    if (system && accepted.length === 0 && refused.length === 0) {
      ctx.err(`no running collector serves system "${system}" (answered: ${replies.map((r) => r.service ?? '?').join(', ')})`);
      return EXIT.failed;
    }
    if (!values.wait) {
      if (ctx.json) ctx.out(JSON.stringify({ accepted, refused }, null, 2));
      else {
        for (const a of accepted) ctx.out(`sync started: ${a.system_id}${a.sync_id ? ` (${a.sync_id})` : ''}`);
        for (const r of refused) ctx.err(`${r.service ?? 'collector'}: ${r.error ?? 'refused'}`);
        if (accepted.length) ctx.out('follow it with: edge status');
      }
      return refused.length ? EXIT.failed : EXIT.ok;
    }
    // --wait: follow each accepted system's sync in the collectors' status until it finished.
    const deadline = Date.now() + ctx.timeoutMs;
    const want = new Map(accepted.map((a) => [a.system_id, a.sync_id]));
    const done = new Map<string, SyncReport>();
    while (done.size < want.size && Date.now() < deadline) {
      const { replies: st } = await gatherStatus(nc, t.siteId, 500);
      for (const s of systemsOf(st)) {
        if (!want.has(s.system_id) || done.has(s.system_id)) continue;
        const last = s.last_sync;
        const id = want.get(s.system_id);
        if (last && (!id || last.sync_id === id) && last.finished_at && !s.syncing) done.set(s.system_id, last);
      }
      if (done.size < want.size) await sleep(500);
    }
    const results = [...want.keys()].map((id) => ({ system_id: id, report: done.get(id) ?? null }));
    if (ctx.json) ctx.out(JSON.stringify({ results, refused }, null, 2));
    else {
      for (const l of table(
        ['SYSTEM', 'SYNC', 'DEVICES', 'SECONDS', 'RESULT'],
        results.map(({ system_id, report: r }) => [
          system_id,
          r?.sync_id ?? want.get(system_id) ?? '-',
          r?.devices ?? '-',
          r?.duration_ms != null ? (r.duration_ms / 1000).toFixed(1) : '-',
          !r ? 'still running (raise --timeout)' : r.error ? `failed: ${r.error}` : r.complete ? 'complete' : 'partial',
        ]),
      ))
        ctx.out(l);
    }
    const bad = refused.length > 0 || results.some((r) => !r.report || r.report.error || !r.report.complete);
    return bad ? EXIT.failed : EXIT.ok;
  },
};
