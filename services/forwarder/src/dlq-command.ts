import { DlqCommandRequest, type DlqCommandReply } from '@edge/contracts';
import { describeError, type EdgeRuntime } from '@edge/platform';

/** `edge.<site>.cmd.dlq`: list, show and replay dead-lettered messages (stream DLQ, every stage). */
export async function handleDlqCommand(rt: EdgeRuntime, body: unknown): Promise<DlqCommandReply> {
  const p = DlqCommandRequest.safeParse(body ?? {});
  if (!p.success) return { ok: false, service: rt.service, error: `invalid dlq command: ${p.error.issues.map((i) => `${i.path.join('.') || 'op'}: ${i.message}`).join('; ')}` };
  const req = p.data;
  switch (req.op) {
    case 'list': {
      const limit = req.limit ?? 100;
      const entries = [];
      let from = req.from;
      while (entries.length < limit) {
        const page = await rt.dlq.list({ limit: 100, fromSeq: from });
        if (page.length === 0) break;
        for (const e of page) if (!req.stage || e.stage === req.stage) entries.push(e);
        from = page[page.length - 1].seq + 1;
      }
      return { ok: true, service: rt.service, size: await rt.dlq.size(), entries: entries.slice(0, limit) };
    }
    case 'show': {
      const entry = await rt.dlq.show(req.seq);
      return entry ? { ok: true, service: rt.service, entry } : { ok: false, service: rt.service, error: `no DLQ entry ${req.seq}` };
    }
    case 'replay': {
      const replayed: NonNullable<DlqCommandReply['replayed']> = [];
      for (const seq of req.seqs) {
        try {
          const r = await rt.dlq.replay(seq);
          replayed.push(r ? { seq, ok: true, subject: r.subject, replayed_seq: r.replayed_seq } : { seq, ok: false, error: 'not found' });
        } catch (e) {
          replayed.push({ seq, ok: false, error: describeError(e) });
        }
      }
      rt.log.info({ replayed: replayed.filter((r) => r.ok).length, asked: req.seqs.length }, 'dlq replay');
      return { ok: replayed.every((r) => r.ok), service: rt.service, replayed };
    }
    case 'replay-all': {
      const n = await rt.dlq.replayAll(req.stage ? { stage: req.stage } : undefined);
      rt.log.info({ replayed: n, stage: req.stage ?? null }, 'dlq replay-all');
      return { ok: true, service: rt.service, replayed_count: n };
    }
  }
}
