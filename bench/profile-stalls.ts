/**
 * `npx tsx bench/profile-stalls.ts <file.cpuprofile>… [--min-ms 200]`: stretches where a process
 * never went idle for at least `min-ms` (its event loop could not take new input), with what ran
 * most during each, on the profile's clock (CLOCK_MONOTONIC: the same in every process, so
 * stalls of different processes can be lined up). Used for bench/README.md.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface Node {
  id: number;
  parent?: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

const args = process.argv.slice(2);
const mi = args.indexOf('--min-ms');
const minMs = mi >= 0 ? Number(args[mi + 1]) : 200;
for (const file of args.filter((a, i) => !a.startsWith('--') && (mi < 0 || i !== mi + 1))) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number };
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  for (const n of p.nodes) for (const c of n.children ?? []) byId.get(c)!.parent = n.id;
  const idle = new Set(p.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  let t = p.startTime;
  let runStart: number | null = null;
  let runFns = new Map<string, number>();
  const out: string[] = [];
  const close = (end: number) => {
    if (runStart !== null && (end - runStart) / 1000 >= minMs) {
      const topFns = [...runFns].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, us]) => `${k} ${(us / 1000).toFixed(0)}ms`);
      out.push(`  at ${(runStart / 1e6).toFixed(2)} s: busy ${((end - runStart) / 1000).toFixed(0)} ms — ${topFns.join(', ')}`);
    }
    runStart = null;
    runFns = new Map();
  };
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    const id = p.samples[i];
    if (idle.has(id)) {
      close(t);
      continue;
    }
    runStart ??= t;
    // Attribute to the outermost of our own frames (else the leaf), to see which task ran.
    let n: Node | undefined = byId.get(id);
    let label = n?.callFrame.functionName || '(anonymous)';
    while (n) {
      if (/dist\/[a-z-]+\.js/.test(n.callFrame.url) && !/node_modules/.test(n.callFrame.url)) label = n.callFrame.functionName || label;
      n = n.parent !== undefined ? byId.get(n.parent) : undefined;
    }
    runFns.set(label, (runFns.get(label) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  close(t);
  process.stdout.write(`\n${basename(file)}: ${out.length} stretches ≥ ${minMs} ms without idle\n${out.slice(0, 40).join('\n')}\n`);
}
