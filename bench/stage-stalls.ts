/**
 * `npx tsx bench/stage-stalls.ts [--min-ms 500] <stages.jsonl>`: stretches of a profiled e2e run
 * (BENCH_PROFILE_DIR) where RAW held undelivered messages while the normalizer had none in hand
 * (`raw_pending > 0`, `raw_ack_pending = 0`): the consume loop was waiting on a pull that brought
 * nothing. For each stretch: when, how long, the most messages waiting, the pull requests the
 * server held for the consumer (`raw_waiting`; 0 means it held none), and the consume-loop
 * counters that moved from just before to just after it. Prints JSON lines; nothing if none.
 */
import { readFileSync } from 'node:fs';
import type { StageSample } from './probe';

const args = process.argv.slice(2);
const minIdx = args.indexOf('--min-ms');
const minMs = minIdx >= 0 ? Number(args[minIdx + 1]) : 500;
const file = args.find((a, i) => !a.startsWith('--') && (minIdx < 0 || i !== minIdx + 1));
if (!file || !Number.isFinite(minMs)) throw new Error('usage: stage-stalls.ts [--min-ms N] <stages.jsonl>');

const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as StageSample & { mark?: string });
const samples = lines.filter((l) => l.mark === undefined);
const marks = lines.filter((l) => l.mark !== undefined);

const starved = (s: StageSample) => s.raw_pending > 0 && s.raw_ack_pending === 0;
const phaseAt = (t: number) => marks.filter((m) => m.t <= t).at(-1)?.mark ?? null;

function movedCounters(before: StageSample | undefined, after: StageSample | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after?.consumers ?? {})) {
    const d = v - (before?.consumers?.[k] ?? 0);
    if (d !== 0 && !/\.(received|acked)$/.test(k)) out[k] = d;
  }
  return out;
}

for (let i = 0; i < samples.length; i++) {
  if (!starved(samples[i])) continue;
  let j = i;
  while (j + 1 < samples.length && starved(samples[j + 1])) j++;
  const span = samples.slice(i, j + 1);
  const ms = (samples[j + 1]?.t ?? samples[j].t) - samples[i].t;
  if (ms >= minMs) {
    process.stdout.write(
      `${JSON.stringify({
        from: new Date(samples[i].t).toISOString(),
        phase: phaseAt(samples[i].t),
        ms,
        samples: span.length,
        max_raw_pending: Math.max(...span.map((s) => s.raw_pending)),
        raw_waiting: [...new Set(span.map((s) => s.raw_waiting ?? null))],
        counters_moved: movedCounters(samples[i - 1], samples[j + 1]),
      })}\n`,
    );
  }
  i = j;
}
