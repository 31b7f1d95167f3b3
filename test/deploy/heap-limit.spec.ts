/**
 * The edge memory profile: every service process runs with a V8 heap limit (`EDGE_HEAP_MB`,
 * scripts/services.ts; the same default in deploy/entrypoint.sh), and the limit really applies
 * to a process started with those flags.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_HEAP_MB, heapFlags, REPO_ROOT } from '../../scripts/services';

/** heap_size_limit (MB) of a node process started with `flags`. */
function heapLimitMb(flags: string[]): number {
  const r = spawnSync(process.execPath, [...flags, '-e', 'process.stdout.write(String(require("node:v8").getHeapStatistics().heap_size_limit))'], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  return Number(r.stdout) / 2 ** 20;
}

describe('service heap limit', () => {
  it('applies the default, a configured size, or none', () => {
    const dflt = heapLimitMb(heapFlags({}));
    // Old space plus the young generation (three semi-spaces), far below Node's own default.
    expect(dflt).toBeGreaterThanOrEqual(DEFAULT_HEAP_MB);
    expect(dflt).toBeLessThan(DEFAULT_HEAP_MB + 64);
    const big = heapLimitMb(heapFlags({ EDGE_HEAP_MB: '512' }));
    expect(big).toBeGreaterThanOrEqual(512);
    expect(big).toBeLessThan(512 + 64);
    expect(heapFlags({ EDGE_HEAP_MB: '0' })).toEqual([]);
    expect(heapLimitMb([])).toBeGreaterThan(big);
  });

  it('refuses a size that is not a whole number of MB of at least 64', () => {
    for (const bad of ['abc', '12', '1.5', '-1']) expect(() => heapFlags({ EDGE_HEAP_MB: bad })).toThrow(/EDGE_HEAP_MB/);
  });

  it('deploy/entrypoint.sh starts services with the same default', () => {
    const sh = readFileSync(join(REPO_ROOT, 'deploy/entrypoint.sh'), 'utf8');
    expect(sh).toContain(`heap="\${EDGE_HEAP_MB:-${DEFAULT_HEAP_MB}}"`);
  });
});
