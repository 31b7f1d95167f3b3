/**
 * `node --expose-gc --import tsx bench/registry-memory.ts [devices]`: heap bytes per device of
 * the normalizer's registry, measured: N devices listed by a sync (each through JSON, as they
 * arrive from the stream, so no string is shared by accident), then one status change each;
 * heap used after a full GC, minus the heap before. Includes the maps and the per-system index.
 */
import type { Device, MapContext } from '@edge/contracts';
import { DeviceRegistry, emptyDecision } from '../services/normalizer/src/device-registry';

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) throw new Error('run with node --expose-gc');
  g();
  g();
}

export function measureRegistry(devices: number): { devices: number; bytes_per_device: number; heap_mb: number } {
  const registry = new DeviceRegistry();
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < devices; i++) {
    const raw = JSON.stringify({
      ctx: { vendor: 'onguard', system_id: 'og-main', site_id: 'site-1', customer_id: 'cust-1', observed_at: '2026-12-02T10:00:00.000Z', sync_id: 'sync-2026-12-02T10:00:00Z-abcdef' },
      device: {
        id: `onguard:og-main:reader:${i}`,
        name: `Reader ${i} — Building ${i % 40} East Entrance`,
        type: 'access_control',
        customer_id: 'cust-1',
        site_id: 'site-1',
        status: 'online',
        mac_address: '00:1B:44:11:3A:B7',
        ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
        hostname: `reader-${i}.site.local`,
        location: `Building ${i % 40}, floor ${i % 7}`,
        last_seen: '2026-12-02T09:59:58.000Z',
        status_changed_at: '2026-12-01T08:00:00.000Z',
        parent_id: `onguard:og-main:panel:${Math.floor(i / 40)}`,
        manufacturer: 'LenelS2',
        model: 'LNL-1320',
        firmware: '1.2.3',
        serial: `SN${i}`,
        source: { vendor: 'onguard', system_id: 'og-main', native_type: 'Lnl_Reader', native_id: `${Math.floor(i / 40)}:${i % 40}` },
        schema_version: 1,
      },
    });
    const { ctx, device } = JSON.parse(raw) as { ctx: MapContext; device: Device };
    registry.applyDevice(ctx, device, i + 1, emptyDecision());
  }
  for (let i = 0; i < devices; i++) {
    const at = `2026-12-02T10:0${i % 10}:00.000Z`;
    registry.applyObservation(
      { vendor: 'onguard', system_id: 'og-main', site_id: 'site-1', customer_id: 'cust-1', observed_at: at },
      { device_id: `onguard:og-main:reader:${i}`, status: 'offline', timestamp: at, reason: null, observed_via: 'event', native_type: 'Lnl_Reader', native_id: `${i}` } as never,
      devices + i + 1,
      emptyDecision(),
    );
  }
  // Outboxes hold what waits for the stream; here nothing is published, so empty them as the commit would.
  registry.confirm(registry.pendingEmissions());
  gc();
  const after = process.memoryUsage().heapUsed;
  if (registry.size().devices !== devices) throw new Error('registry lost devices');
  return { devices, bytes_per_device: Math.round((after - before) / devices), heap_mb: Math.round(((after - before) / 1024 / 1024) * 10) / 10 };
}

if (require.main === module) {
  // The first registry of a process also pays for code compiled on first use: measure after one.
  measureRegistry(1_000);
  process.stdout.write(`${JSON.stringify(measureRegistry(Number(process.argv[2] ?? 50_000)))}\n`);
}
