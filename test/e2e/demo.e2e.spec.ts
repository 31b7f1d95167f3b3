/**
 * The README's main command, `npm run demo`, without a terminal (as CI or a pipe runs it): the
 * demo driver with the simulators and the pipeline, in a temp data dir. DEMO_UNTIL=done: the
 * demo runs until its whole scenario was seen at the cloud, however slow the machine; the
 * bound (DEMO_SECONDS) is one only a hang reaches.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VENDORS } from '@edge/vendors';
import { REPO_ROOT } from '../../scripts/services';

const dir = mkdtempSync(join(tmpdir(), 'edge-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run demo (scripts/demo.ts)', () => {
  it('runs the whole pipeline on the simulators and ends with a summary, without a terminal', async () => {
    const out: string[] = [];
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts/demo.ts')], {
      cwd: REPO_ROOT,
      env: { ...process.env, DEMO_UNTIL: 'done', DEMO_SECONDS: '600', DEMO_DATA_DIR: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (b: Buffer) => out.push(b.toString()));
    child.stderr.on('data', (b: Buffer) => out.push(b.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    const text = out.join('');
    expect(text.includes('\u001b[')).toBe(false); // no terminal: plain lines, no colours or cursor moves
    // One demo system per vendor of the list.
    expect(text).toMatch(new RegExp(`\\[\\d+s\\] systems \\d/${VENDORS.length} connected`));
    const inv = /inventory: (\d+)\/(\d+) devices at the cloud/.exec(text);
    expect(inv?.[1]).toBe(inv?.[2]);
    expect(text).toMatch(/health events: \d+ at the cloud; (\d+)\/\1 demo state changes arrived/);
    const spanServices = [...VENDORS.map((v) => v.service.name), 'forwarder', 'normalizer'].sort().join(', ');
    expect(text).toContain(` spans from ${spanServices})`);
    expect(text).toContain('Where to look');
    expect(text).toContain('demo complete');
    expect(code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'cloud-devices.json'), 'utf8')).length).toBe(Number(inv?.[1]));
    expect(existsSync(join(dir, 'traces.json'))).toBe(true);
    expect(existsSync(join(dir, 'logs', 'normalizer.log'))).toBe(true);
  }, 720_000);
});
