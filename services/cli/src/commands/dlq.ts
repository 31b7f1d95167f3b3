import { DlqCommandReply, subjects, type DlqCommandRequest } from '@edge/contracts';
import { EXIT, UsageError, type CliCommand, type CliContext } from '../command';
import { table } from '../format';

const USAGE = `edge dlq <list|show|replay> — dead-lettered messages (stream DLQ), through the forwarder

  edge dlq list [--limit N] [--from SEQ] [--stage forwarder|normalizer|...]
  edge dlq show <seq>
  edge dlq replay <seq> [<seq>...]      resend to the original subject, then remove from the DLQ
  edge dlq replay --all [--stage S]     every entry (of a stage)

Fix the cause first (cloud rules, mapper, config): a replayed message that fails again is
dead-lettered again.`;

function seqOf(s: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`"${s}" is not a DLQ sequence number`);
  return n;
}

function intOpt(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} takes a positive whole number`);
  return n;
}

async function send(ctx: CliContext, req: DlqCommandRequest): Promise<DlqCommandReply> {
  const raw = await ctx.request(subjects.cmdDlq(ctx.target().siteId), req);
  const p = DlqCommandReply.safeParse(raw);
  if (!p.success) throw new Error(`unexpected reply from the forwarder: ${JSON.stringify(raw).slice(0, 200)}`);
  return p.data;
}

export const dlqCommand: CliCommand = {
  name: 'dlq',
  summary: 'list, inspect and replay dead-lettered messages',
  usage: USAGE,
  options: {
    limit: { type: 'string' },
    from: { type: 'string' },
    stage: { type: 'string' },
    all: { type: 'boolean' },
  },
  async run(ctx, args, values) {
    const [sub, ...rest] = args;
    let req: DlqCommandRequest;
    const stage = typeof values.stage === 'string' ? values.stage : undefined;
    switch (sub) {
      case 'list':
        req = { op: 'list', limit: intOpt(values.limit, 'limit'), from: intOpt(values.from, 'from'), stage };
        break;
      case 'show':
        if (rest.length !== 1) throw new UsageError('dlq show takes one sequence number');
        req = { op: 'show', seq: seqOf(rest[0]) };
        break;
      case 'replay':
        if (values.all) {
          if (rest.length > 0) throw new UsageError('dlq replay takes sequence numbers or --all, not both');
          req = { op: 'replay-all', stage };
        } else {
          if (rest.length === 0) throw new UsageError('dlq replay needs sequence numbers (or --all)');
          req = { op: 'replay', seqs: rest.map(seqOf) };
        }
        break;
      default:
        throw new UsageError(sub ? `unknown dlq command "${sub}"` : 'dlq needs a command: list, show or replay');
    }
    const reply = await send(ctx, req);
    if (ctx.json) {
      ctx.out(JSON.stringify(reply, null, 2));
      return reply.ok ? EXIT.ok : EXIT.failed;
    }
    if (!reply.ok && !reply.replayed) {
      ctx.err(`error: ${reply.error ?? 'the forwarder refused the command'}`);
      return EXIT.failed;
    }
    switch (req.op) {
      case 'list': {
        const entries = reply.entries ?? [];
        ctx.out(`DLQ: ${reply.size?.messages ?? '?'} message(s), ${reply.size?.bytes ?? '?'} bytes${entries.length ? '' : ' — nothing to list'}`);
        if (entries.length)
          for (const l of table(
            ['SEQ', 'AT', 'STAGE', 'ORIGINAL SUBJECT', 'KIND', 'REASON'],
            entries.map((e) => [e.seq, e.at, e.stage, e.original_subject, e.kind, e.reason]),
          ))
            ctx.out(l);
        return EXIT.ok;
      }
      case 'show': {
        const e = reply.entry!;
        ctx.out(`seq:              ${e.seq}`);
        ctx.out(`stage:            ${e.stage}`);
        ctx.out(`original subject: ${e.original_subject} (seq ${e.original_seq ?? '?'})`);
        ctx.out(`dead-lettered at: ${e.at}`);
        ctx.out(`kind:             ${e.kind}`);
        ctx.out(`reason:           ${e.reason}`);
        ctx.out('headers:');
        for (const [k, vs] of Object.entries(e.headers)) if (!/traceparent|tracestate/i.test(k)) ctx.out(`  ${k}: ${vs.join(', ')}`);
        ctx.out('data:');
        let data = e.data;
        try {
          data = JSON.stringify(JSON.parse(e.data), null, 2);
        } catch {
          /* not JSON: print as is */
        }
        ctx.out(data);
        return EXIT.ok;
      }
      case 'replay':
        for (const r of reply.replayed ?? [])
          ctx.out(r.ok ? `replayed ${r.seq} → ${r.subject} (stream seq ${r.replayed_seq})` : `not replayed ${r.seq}: ${r.error}`);
        return reply.ok ? EXIT.ok : EXIT.failed;
      case 'replay-all':
        ctx.out(`replayed ${reply.replayed_count ?? 0} message(s)`);
        return EXIT.ok;
    }
  },
};
