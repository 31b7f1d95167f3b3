/**
 * The supervisor's run file (scripts/leftovers.ts): a live supervisor on the same data dir is
 * refused; a recorded process is matched by pid and start time, so a recycled pid is left alone;
 * a leftover that outlives the grace is killed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitUntil } from '@edge/platform/testing';
import { entryFor, isSameProcess, readRunFile, reapLeftovers, writeRunFile } from '../../scripts/leftovers';

const dir = mkdtempSync(join(tmpdir(), 'edge-leftovers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('supervisor run file', () => {
  it('refuses to start beside a live supervisor of the same data dir', async () => {
    const file = join(dir, 'live.json');
    writeRunFile(file, { supervisor: entryFor('supervisor', process.ppid), children: [] });
    await expect(reapLeftovers(file, 1_000, () => undefined)).rejects.toThrow(/another supervisor \(pid \d+\) runs with this data directory/);
    expect(readRunFile(file)).not.toBeNull();
  });

  it('kills a leftover still running after the grace, and never signals a recycled pid', async () => {
    const file = join(dir, 'dead.json');
    // A process that ignores SIGTERM and would run forever, in its own group like the supervisor's children.
    const stubborn = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], { detached: true, stdio: 'ignore' });
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
    try {
      await waitUntil('both children running', () => isSameProcess(entryFor('x', stubborn.pid!)) && isSameProcess(entryFor('y', other.pid!)));
      const recycled = { ...entryFor('recycled', other.pid!), start: '1' }; // same pid, another start time
      writeRunFile(file, { supervisor: { name: 'supervisor', pid: 2 ** 22 + 1, start: '1' }, children: [entryFor('stubborn', stubborn.pid!), recycled] });
      const msgs: string[] = [];
      const found = await reapLeftovers(file, 500, (m) => msgs.push(m));
      expect(found).toEqual(['stubborn']);
      expect(msgs.join('\n')).toMatch(/killed stubborn/);
      await waitUntil('the stubborn process gone', () => stubborn.exitCode !== null || stubborn.signalCode !== null);
      expect(isSameProcess(entryFor('other', other.pid!))).toBe(true);
      expect(readRunFile(file)).toBeNull();
    } finally {
      stubborn.kill('SIGKILL');
      other.kill('SIGKILL');
    }
  });
});
