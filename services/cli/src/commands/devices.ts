import { z } from 'zod';
import { DeviceStatus, DeviceType } from '@edge/contracts';
import { openDevicesBucket, type NatsConnection } from '@edge/platform';
import { EXIT, type CliCommand } from '../command';
import { table } from '../format';

const USAGE = `edge devices — the device registry (KV devices, kept by the normalizer)

  edge devices [--offline] [--status S] [--system ID] [--type T] [--removed] [--limit N] [--json]

--offline is --status offline. Devices removed by a complete sync are hidden unless --removed.
Sorted by system, then name.`;

/**
 * The part of a registry entry (KV key `dev.<…>`) this command shows. The normalizer owns the
 * full shape; unknown fields pass through so it can grow without breaking the CLI.
 */
export const RegistryDevice = z
  .object({
    id: z.string(),
    system_id: z.string(),
    vendor: z.string(),
    status: DeviceStatus,
    last_seen: z.string().nullable().optional(),
    status_changed_at: z.string().nullable().optional(),
    removed_at: z.string().nullable().optional(),
    device: z
      .object({ name: z.string(), type: DeviceType, ip: z.string().nullable(), mac_address: z.string().nullable(), location: z.string().nullable() })
      .passthrough()
      .nullable(),
  })
  .passthrough();
export type RegistryDevice = z.infer<typeof RegistryDevice>;

/**
 * The normalizer's journal in the same bucket: a decision is durable in a `wal.<slot>` record
 * (`items`: KV key → value) before compaction writes it to the device's own key; records at or
 * below `wal-floor` are already compacted. Reading = device keys, then live records in order.
 */
const WalRecord = z.object({ seq: z.number().int().positive(), items: z.record(z.string(), z.unknown()) }).passthrough();
const WalFloor = z.object({ upto: z.number().int().nonnegative() }).passthrough();

/** Reads every device entry of KV `devices` as the normalizer would load it (a snapshot). */
export async function readRegistry(nc: NatsConnection): Promise<{ devices: RegistryDevice[]; unreadable: number }> {
  const kv = await openDevicesBucket(nc);
  const base = new Map<string, unknown>();
  const journal: Array<z.infer<typeof WalRecord>> = [];
  let floor = 0;
  const status = await kv.status();
  if (status.values > 0) {
    const it = await kv.watch({ key: '>' });
    try {
      for await (const e of it) {
        if (e.operation === 'PUT') {
          let v: unknown;
          try {
            v = e.json<unknown>();
          } catch {
            v = null;
          }
          if (e.key.startsWith('dev.')) base.set(e.key, v);
          else if (e.key.startsWith('wal.')) {
            const r = WalRecord.safeParse(v);
            if (r.success) journal.push(r.data);
          } else if (e.key === 'wal-floor') {
            const r = WalFloor.safeParse(v);
            if (r.success) floor = r.data.upto;
          }
        }
        // `delta`: what the watch still has to deliver of the initial snapshot.
        if (e.delta === 0) break;
      }
    } finally {
      it.stop();
    }
  }
  for (const r of journal.filter((x) => x.seq > floor).sort((a, b) => a.seq - b.seq))
    for (const [key, value] of Object.entries(r.items)) if (key.startsWith('dev.')) base.set(key, value);
  const devices: RegistryDevice[] = [];
  let unreadable = 0;
  for (const v of base.values()) {
    const p = RegistryDevice.safeParse(v);
    if (p.success) devices.push(p.data);
    else unreadable++;
  }
  return { devices, unreadable };
}

export const devicesCommand: CliCommand = {
  name: 'devices',
  summary: 'devices in the registry, their status and last seen (--offline)',
  usage: USAGE,
  options: {
    offline: { type: 'boolean' },
    status: { type: 'string' },
    system: { type: 'string' },
    type: { type: 'string' },
    removed: { type: 'boolean' },
    limit: { type: 'string' },
  },
  async run(ctx, _args, values) {
    const wantStatus = values.offline ? 'offline' : (values.status as string | undefined);
    if (wantStatus && !DeviceStatus.safeParse(wantStatus).success) {
      ctx.err(`--status is one of ${DeviceStatus.options.join(', ')}`);
      return EXIT.usage;
    }
    const limit = values.limit === undefined ? Infinity : Number(values.limit);
    const { devices, unreadable } = await readRegistry(await ctx.nats());
    const shown = devices
      .filter((d) => values.removed || !d.removed_at)
      .filter((d) => !wantStatus || d.status === wantStatus)
      .filter((d) => !values.system || d.system_id === values.system)
      .filter((d) => !values.type || d.device?.type === values.type)
      .sort((a, b) => a.system_id.localeCompare(b.system_id) || (a.device?.name ?? a.id).localeCompare(b.device?.name ?? b.id))
      .slice(0, limit);
    if (ctx.json) {
      ctx.out(JSON.stringify(shown, null, 2));
      return EXIT.ok;
    }
    for (const l of table(
      ['ID', 'NAME', 'TYPE', 'STATUS', 'SINCE', 'LAST SEEN', 'IP'],
      shown.map((d) => [d.id, d.device?.name ?? '-', d.device?.type ?? '-', d.removed_at ? `${d.status} (removed)` : d.status, d.status_changed_at ?? '-', d.last_seen ?? '-', d.device?.ip ?? '-']),
      48,
    ))
      ctx.out(l);
    const counts = new Map<string, number>();
    for (const d of devices) if (!d.removed_at) counts.set(d.status, (counts.get(d.status) ?? 0) + 1);
    ctx.out('');
    ctx.out(
      `${shown.length} shown of ${devices.length} in the registry (${[...counts.entries()].map(([k, v]) => `${v} ${k}`).join(', ') || 'none'})${unreadable ? `; ${unreadable} unreadable entries` : ''}`,
    );
    return EXIT.ok;
  },
};
