/**
 * OpenAccess calls per hour of one OnGuard system, 2 000 panels / 20 000 readers (+ intrusion
 * panels, recorders, cameras), before and after the audit-log work — a count, not a timing, so a
 * loaded machine does not skew it.
 *
 * One hour of the default schedule (inventory_interval 15m, status_interval 15m: four syncs and
 * four status polls) is run for real against the simulator in its own process, on a warm collector
 * (its first inventory done), and the simulator counts every OpenAccess request and every audit
 * row (UpdateHardwareStatus/GetHardwareStatus). "before" is the previous behaviour
 * (`status.full_sweep_interval: 0`: every device read on every sync and poll, UpdateHardwareStatus
 * on every panel each time); "after" is the default, plus its one full sweep a day (24 h) spread
 * over the hour. The rate cap is off in both: it spaces calls, it does not change their number.
 *
 * `npx tsx bench/onguard-calls.ts` prints the numbers; `--write` also stores them under
 * `onguard.calls_per_hour` in bench/results.json (the rest of the file is left as it is).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectNats, createLogger, provision, provisionOptionsFromConfig, Publisher } from '@edge/platform';
import { startNatsServer, testConfig } from '@edge/platform/testing';
import { CollectorRunner, RawPublisher } from '@edge/collector-kit';
import { OnGuardCollector } from '@edge/vendor-onguard';
import { startSim, systemFor } from './onguard';

const log = createLogger({ service: 'bench-onguard-calls', level: process.env.BENCH_LOG_LEVEL ?? 'warn' });
const SITE = ['--panels', '2000', '--readers-per-panel', '10', '--alarm-panels-per-panel', '0', '--intrusion-panels', '2', '--recorders', '4', '--cameras-per-recorder', '25'];
const PER_HOUR = { syncs: 4, polls: 4 };
const SWEEP_EVERY_H = 24;

async function stats(url: string): Promise<{ requests: number; audit: number }> {
  const s = (await (await fetch(`${url}/_sim/stats`)).json()) as Record<string, number>;
  return { requests: s.requests ?? 0, audit: s.audit_rows ?? 0 };
}

async function hourOf(mode: 'before' | 'after', publisher: Publisher): Promise<{ requests: number; audit: number; sweep_requests: number; sweep_audit: number }> {
  const sim = await startSim([...SITE, '--offline-ratio', '0.01']);
  try {
    const status = mode === 'before' ? { full_sweep_interval: 0, update_settle: 0, concurrency: 8 } : { update_settle: 0, concurrency: 8 };
    const cfg = systemFor(sim, `og-calls-${mode}`, { events: { enabled: false }, max_calls_per_second: 0, status });
    const raw = new RawPublisher(publisher, { vendor: 'onguard', system_id: cfg.id, site_id: 'site-test', customer_id: 'cust-test' });
    const runner = new CollectorRunner(new OnGuardCollector(cfg, log), raw, log, { inventoryIntervalMs: 0, statusIntervalMs: 0, syncOnStart: false });
    await runner.start();
    // Warm: the first inventory (a full sweep in both modes).
    const s0 = await stats(sim.url);
    await runner.sync('startup');
    const s1 = await stats(sim.url);
    for (let i = 0; i < Math.max(PER_HOUR.syncs, PER_HOUR.polls); i++) {
      if (i < PER_HOUR.polls) await runner.poll('schedule');
      if (i < PER_HOUR.syncs) await runner.sync('schedule');
    }
    const s2 = await stats(sim.url);
    await runner.stop();
    return { requests: s2.requests - s1.requests, audit: s2.audit - s1.audit, sweep_requests: s1.requests - s0.requests, sweep_audit: s1.audit - s0.audit };
  } finally {
    await sim.stop();
  }
}

export async function callsPerHour(): Promise<Record<string, number>> {
  const nats = await startNatsServer();
  const nc = await connectNats({ url: nats.url, name: 'bench-onguard-calls' }, log);
  try {
    await provision(nc, provisionOptionsFromConfig(testConfig(nats.url, { streams: { raw: { max_bytes: '4GB', max_age: '1h' }, duplicate_window: '2m' } })));
    const publisher = new Publisher(nc, log, { retryForMs: 60_000, timeoutMs: 10_000 });
    const before = await hourOf('before', publisher);
    const after = await hourOf('after', publisher);
    // After: one full sweep a day; its cost beyond an ordinary sync, spread over 24 hours.
    const afterPerHour = after.requests + Math.max(0, after.sweep_requests - after.requests / (PER_HOUR.syncs + PER_HOUR.polls)) / SWEEP_EVERY_H;
    const afterAudit = after.audit + Math.max(0, after.sweep_audit - after.audit / (PER_HOUR.syncs + PER_HOUR.polls)) / SWEEP_EVERY_H;
    return {
      calls_per_hour_before: before.requests,
      calls_per_hour_after: Math.round(afterPerHour),
      calls_per_hour_reduction: Math.round((before.requests / afterPerHour) * 10) / 10,
      audit_rows_per_hour_before: before.audit,
      audit_rows_per_hour_after: Math.round(afterAudit),
      full_sweep_calls: after.sweep_requests,
    };
  } finally {
    await nc.drain().catch(() => undefined);
    await nats.dispose();
  }
}

if (require.main === module) {
  callsPerHour()
    .then((r) => {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      if (process.argv.includes('--write')) {
        const file = join(__dirname, 'results.json');
        const results = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>;
        results.onguard = { ...results.onguard, calls_per_hour: { before: r.calls_per_hour_before, after: r.calls_per_hour_after, reduction: r.calls_per_hour_reduction, audit_rows_before: r.audit_rows_per_hour_before, audit_rows_after: r.audit_rows_per_hour_after } };
        writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
      }
      process.exit(0);
    })
    .catch((e: unknown) => {
      console.error(e);
      process.exit(1);
    });
}
