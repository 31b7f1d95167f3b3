/**
 * The edge memory profile: every service process runs with a V8 heap limit (`EDGE_HEAP_MB`,
 * scripts/services.ts; the same default in deploy/entrypoint.sh), and the limit really applies
 * to a process started with those flags.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPipeline } from '../../scripts/pipeline';
import { DEFAULT_HEAP_MB, DEFAULT_MALLOC_ARENAS, heapFlags, mallocEnv, REPO_ROOT } from '../../scripts/services';

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

  it('gives every service glibc malloc arenas: the default, a configured number, never a bad one', () => {
    expect(mallocEnv({})).toEqual({ MALLOC_ARENA_MAX: String(DEFAULT_MALLOC_ARENAS) });
    expect(mallocEnv({ MALLOC_ARENA_MAX: '4' })).toEqual({ MALLOC_ARENA_MAX: '4' });
    for (const bad of ['0', 'two', '1.5', '-2']) expect(() => mallocEnv({ MALLOC_ARENA_MAX: bad })).toThrow(/MALLOC_ARENA_MAX/);
    // `npm start` (the supervisor's pipeline) starts each service with it.
    const pipeline = buildPipeline(join(REPO_ROOT, 'config/edge.example.yaml'), { env: { ...process.env, MALLOC_ARENA_MAX: '3', NATS_URL: 'nats://127.0.0.1:4222', NATS_PASSWORD: 'p', CLOUD_TOKEN: 't', OG_PASSWORD: 'p', OG_APPLICATION_ID: 'a', XP_PASSWORD: 'p' } });
    const services = pipeline.processes.filter((p) => p.name !== 'nats');
    expect(services.length).toBeGreaterThan(0);
    for (const p of services) expect(p.env?.MALLOC_ARENA_MAX, p.name).toBe('3');
    const sh = readFileSync(join(REPO_ROOT, 'deploy/entrypoint.sh'), 'utf8');
    expect(sh).toContain(`export MALLOC_ARENA_MAX="\${MALLOC_ARENA_MAX:-${DEFAULT_MALLOC_ARENAS}}"`);
  });
});
