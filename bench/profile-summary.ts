/**
 * `npx tsx bench/profile-summary.ts <file.cpuprofile>… [--top 25] [--from S --to S]`: where a CPU
 * profile's time went — self time by function (with file:line) and by package/area (node_modules
 * package, node internals, garbage collector, idle, our source folders). `--from`/`--to` keep the
 * samples of one window, in seconds on the profiles' clock (CLOCK_MONOTONIC, as the `mono_s` of
 * the marks in stages.jsonl), e.g. the burst alone. Used for bench/README.md.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function area(url: string, fn: string): string {
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(idle)') return 'idle';
  if (fn === '(program)') return 'program (native, outside JS)';
  if (!url) return 'native/builtin';
  if (url.startsWith('node:')) return url.replace(/^node:/, 'node:').split('/')[0];
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1];
  const src = /(libs\/[^/]+|services\/[^/]+)\/src\/([^/]+)/.exec(url);
  if (src) return `${src[1]}/${src[2]}`;
  return basename(url);
}

function summarize(file: string, top: number, window: { from: number; to: number }): void {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    if (t / 1e6 < window.from || t / 1e6 > window.to) continue;
    self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byFn = new Map<string, number>();
  const byArea = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const f = n.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url ? `${f.url.replace(/^.*\/(node_modules|dist|libs|services)\//, '$1/')}:${f.lineNumber + 1}` : ''}`;
    byFn.set(key, (byFn.get(key) ?? 0) + us);
    const a = area(f.url, f.functionName);
    byArea.set(a, (byArea.get(a) ?? 0) + us);
  }
  const idle = byArea.get('idle') ?? 0;
  const busy = total - idle;
  const pct = (us: number) => `${((100 * us) / Math.max(1, busy)).toFixed(1)}%`;
  process.stdout.write(`\n## ${basename(file)}: ${(total / 1e6).toFixed(1)} s sampled, busy ${(busy / 1e6).toFixed(1)} s (percentages of busy time)\n`);
  process.stdout.write('\nby area:\n');
  for (const [a, us] of [...byArea].filter(([a]) => a !== 'idle').sort((x, y) => y[1] - x[1]).slice(0, 15)) process.stdout.write(`  ${pct(us).padStart(6)}  ${a}\n`);
  process.stdout.write('\nby function (self):\n');
  for (const [k, us] of [...byFn].filter(([k]) => !k.startsWith('(idle)')).sort((x, y) => y[1] - x[1]).slice(0, top)) process.stdout.write(`  ${pct(us).padStart(6)}  ${k}\n`);
}

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const top = option('--top', 25);
const window = { from: option('--from', -Infinity), to: option('--to', Infinity) };
const valueAt = new Set(['--top', '--from', '--to'].map((o) => args.indexOf(o) + 1).filter((i) => i > 0));
for (const f of args.filter((a, i) => !a.startsWith('--') && !valueAt.has(i))) summarize(f, top, window);
