/**
 * `npx tsx bench/memory-log-summary.ts <MEMORY_LOG_DIR>`: per process of a run with
 * bench/memory-log.cjs, the peak RSS, the peak V8 heap (heapTotal) and the peak of RSS minus
 * heapTotal (memory outside the V8 heap), in MB.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) throw new Error('usage: memory-log-summary.ts <MEMORY_LOG_DIR>');
for (const f of readdirSync(dir).filter((n) => n.endsWith('.log')).sort()) {
  let rss = 0;
  let heap = 0;
  let outside = 0;
  for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
    const v = Object.fromEntries([...line.matchAll(/(\w+)=(\d+)/g)].map((m) => [m[1], Number(m[2])]));
    if (v.rss === undefined || v.heapTotal === undefined) continue;
    rss = Math.max(rss, v.rss);
    heap = Math.max(heap, v.heapTotal);
    outside = Math.max(outside, v.rss - v.heapTotal);
  }
  process.stdout.write(`${f.replace(/\.log$/, '').padEnd(34)} rss ${String(rss).padStart(4)}  heapTotal ${String(heap).padStart(4)}  rss-heapTotal ${String(outside).padStart(4)}\n`);
}
