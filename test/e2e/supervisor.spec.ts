import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Supervisor, type ProcessSpec } from '../../scripts/supervisor';

const dirs: string[] = [];
const sups: Supervisor[] = [];
afterEach(async () => {
  for (const s of sups.splice(0)) s.kill();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'edge-sup-'));
  dirs.push(d);
  return d;
}

/** A child that appends `<name>:<event>` lines to a file; `exitFirst` makes its first run crash. */
function child(dir: string, name: string, o: { exitFirst?: boolean; ignoreTerm?: boolean; stage?: number } = {}): ProcessSpec {
  const script = `
    const fs = require('fs');
    const log = (e) => fs.appendFileSync(${JSON.stringify(join(dir, 'events'))}, ${JSON.stringify(name)} + ':' + e + '\\n');
    const marker = ${JSON.stringify(join(dir, `${name}.ran`))};
    if (${Boolean(o.exitFirst)} && !fs.existsSync(marker)) { fs.writeFileSync(marker, '1'); log('crash'); process.exit(3); }
    process.on('SIGTERM', () => { log('sigterm'); if (!${Boolean(o.ignoreTerm)}) setTimeout(() => process.exit(0), 100); });
    log('up');
    console.log('hello from ' + ${JSON.stringify(name)});
    setInterval(() => {}, 1000);
  `;
  return { name, command: process.execPath, args: ['-e', script], stage: o.stage ?? 1 };
}

async function until(cond: () => boolean, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const events = (dir: string) => {
  try {
    return readFileSync(join(dir, 'events'), 'utf8').trim().split('\n');
  } catch {
    return [];
  }
};

describe('Supervisor', () => {
  it('prefixes output lines with the process name and restarts a crashed process with backoff', async () => {
    const dir = tmp();
    const lines: string[] = [];
    const msgs: string[] = [];
    const sup = new Supervisor([child(dir, 'svc-a', { exitFirst: true })], {
      output: (name, line) => lines.push(`${name}|${line}`),
      log: (m) => msgs.push(m),
      backoff: { baseMs: 100, capMs: 200, floorMs: 50 },
    });
    sups.push(sup);
    await sup.start();
    await until(() => events(dir).includes('svc-a:up'));
    await until(() => lines.includes('svc-a|hello from svc-a'));
    const st = sup.status()[0];
    expect(st.restarts).toBe(1);
    expect(st.last_exit?.code).toBe(3);
    expect(st.state).toBe('running');
    expect(msgs.some((m) => /svc-a exited \(code 3\).*restart #1/.test(m))).toBe(true);
    await sup.stop();
    expect(sup.status()[0].state).toBe('stopped');
  });

  it('stops later stages first (services before NATS), each with SIGTERM', async () => {
    const dir = tmp();
    const sup = new Supervisor([child(dir, 'infra', { stage: 0 }), child(dir, 'svc-1', { stage: 1 }), child(dir, 'svc-2', { stage: 1 })], {
      output: () => undefined,
      log: () => undefined,
    });
    sups.push(sup);
    await sup.start();
    await until(() => ['infra:up', 'svc-1:up', 'svc-2:up'].every((e) => events(dir).includes(e)));
    await sup.stop();
    const ev = events(dir);
    const infraTerm = ev.indexOf('infra:sigterm');
    expect(infraTerm).toBeGreaterThan(ev.indexOf('svc-1:sigterm'));
    expect(infraTerm).toBeGreaterThan(ev.indexOf('svc-2:sigterm'));
    expect(ev.indexOf('svc-1:sigterm')).toBeGreaterThanOrEqual(0);
    expect(sup.status().map((s) => [s.state, s.last_exit?.code])).toEqual([['stopped', 0], ['stopped', 0], ['stopped', 0]]);
  });

  it('kills a process that ignores SIGTERM after the grace period', async () => {
    const dir = tmp();
    const msgs: string[] = [];
    const sup = new Supervisor([child(dir, 'stubborn', { ignoreTerm: true })], { output: () => undefined, log: (m) => msgs.push(m), graceMs: 300 });
    sups.push(sup);
    await sup.start();
    await until(() => events(dir).includes('stubborn:up'));
    await sup.stop();
    expect(events(dir)).toContain('stubborn:sigterm');
    expect(sup.status()[0].last_exit?.signal).toBe('SIGKILL');
    expect(msgs.some((m) => m.includes('did not stop within'))).toBe(true);
  });

  it('waits for a stage to be ready before starting the next', async () => {
    const dir = tmp();
    const flag = join(dir, 'ready');
    const first: ProcessSpec = {
      ...child(dir, 'first', { stage: 0 }),
      ready: async () => {
        await until(() => events(dir).includes('first:up'));
        writeFileSync(flag, '1');
      },
    };
    const sup = new Supervisor([first, child(dir, 'second', { stage: 1 })], { output: () => undefined, log: () => undefined });
    sups.push(sup);
    await sup.start();
    await until(() => events(dir).includes('second:up'));
    const ev = events(dir);
    expect(ev.indexOf('first:up')).toBeLessThan(ev.indexOf('second:up'));
    await sup.stop();
  });
});
