/**
 * `npx tsx bench/heap-summary.ts <file.heapsnapshot>… [--top 25]`: what a V8 heap snapshot holds —
 * total self size and count per node type and per constructor (or string / code / array kind),
 * largest first. Self sizes only (no dominator tree): enough to see which kind of object fills
 * a heap at 50 000 devices. Snapshots come from `BENCH_PROFILE_DIR=… BENCH_E2E_ONLY=inventory`
 * (bench/README.md).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] }; node_count: number };
  nodes: number[];
  strings: string[];
}

function summarize(file: string, top: number): void {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const f = s.snapshot.meta.node_fields;
  const width = f.length;
  const [iType, iName, iSize] = [f.indexOf('type'), f.indexOf('name'), f.indexOf('self_size')];
  const types = s.snapshot.meta.node_types[0];
  const byType = new Map<string, { bytes: number; n: number }>();
  const byName = new Map<string, { bytes: number; n: number }>();
  let total = 0;
  const add = (m: Map<string, { bytes: number; n: number }>, k: string, bytes: number) => {
    const e = m.get(k) ?? { bytes: 0, n: 0 };
    e.bytes += bytes;
    e.n++;
    m.set(k, e);
  };
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + iType]];
    const bytes = s.nodes[i + iSize];
    total += bytes;
    add(byType, type, bytes);
    // Objects by constructor; strings, code and arrays by their kind (their names are contents).
    const name = type === 'object' || type === 'closure' ? s.strings[s.nodes[i + iName]] : `(${type})`;
    add(byName, name, bytes);
  }
  const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;
  const rows = (m: Map<string, { bytes: number; n: number }>) =>
    [...m]
      .sort((a, b) => b[1].bytes - a[1].bytes)
      .slice(0, top)
      .map(([k, v]) => `  ${mb(v.bytes).padStart(9)}  ${String(v.n).padStart(8)}  ${k.slice(0, 100)}`)
      .join('\n');
  process.stdout.write(`\n## ${basename(file)}: ${mb(total)} in ${s.snapshot.node_count} nodes\n\nby type:\n${rows(byType)}\n\nby constructor or kind:\n${rows(byName)}\n`);
}

const args = process.argv.slice(2);
const ti = args.indexOf('--top');
const top = ti >= 0 ? Number(args[ti + 1]) : 25;
for (const file of args.filter((a, i) => !a.startsWith('--') && (ti < 0 || i !== ti + 1))) summarize(file, top);
