/**
 * Preload (`NODE_OPTIONS="--require bench/memory-log.cjs"`, with MEMORY_LOG_DIR set) that appends
 * the process's memory every 500 ms to `<MEMORY_LOG_DIR>/<service>.<pid>.log`, one line each:
 * `<epoch ms> rss=<MB> heapTotal=<MB> heapUsed=<MB> external=<MB> arrayBuffers=<MB>`.
 * RSS minus heapTotal is what a process holds outside the V8 heap (code, the allocator's arenas,
 * buffers): `npx tsx bench/memory-log-summary.ts <dir>` prints each process's peaks.
 */
'use strict';
const { appendFileSync, mkdirSync } = require('node:fs');
const { join } = require('node:path');

const dir = process.env.MEMORY_LOG_DIR;
if (dir) {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${process.env.EDGE_SERVICE || 'node'}.${process.pid}.log`);
  const mb = (n) => Math.round(n / 2 ** 20);
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    appendFileSync(file, `${Date.now()} rss=${mb(m.rss)} heapTotal=${mb(m.heapTotal)} heapUsed=${mb(m.heapUsed)} external=${mb(m.external)} arrayBuffers=${mb(m.arrayBuffers)}\n`);
  }, 500);
  timer.unref();
}
