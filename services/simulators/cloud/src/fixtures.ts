import { Device, HealthEvent, type DeviceStatus } from '@edge/contracts';

/** Valid canonical samples for tests, benchmarks and demos (validated by the contracts' schemas). */
export function sampleDevice(n: number, over: Partial<Device> = {}): Device {
  const hex = (n % 256).toString(16).padStart(2, '0').toUpperCase();
  return Device.parse({
    id: `onguard:og-main:reader-${n}`,
    name: `Reader ${n}`,
    type: 'access_control',
    customer_id: 'cust-test',
    site_id: 'site-test',
    status: 'online',
    mac_address: `00:1B:44:11:3A:${hex}`,
    ip: `10.0.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`,
    hostname: null,
    location: 'Building A / Floor 1',
    last_seen: '2026-01-01T00:00:00Z',
    status_changed_at: null,
    parent_id: null,
    manufacturer: 'HID',
    model: 'RP40',
    firmware: null,
    serial: null,
    source: { vendor: 'onguard', system_id: 'og-main', native_type: 'Lnl_Reader', native_id: String(n) },
    schema_version: 1,
    ...over,
  });
}

export function sampleEvent(deviceNo: number, k: number, over: Partial<HealthEvent> = {}): HealthEvent {
  const status: DeviceStatus = k % 2 === 0 ? 'offline' : 'online';
  const t = new Date(Date.UTC(2026, 0, 1, 0, 0, 0) + k * 1000).toISOString();
  return HealthEvent.parse({
    event_id: `evt-${deviceNo}-${k}`,
    device_id: `onguard:og-main:reader-${deviceNo}`,
    status,
    timestamp: t,
    previous_status: status === 'online' ? 'offline' : 'online',
    reason: null,
    observed_via: 'event',
    customer_id: 'cust-test',
    site_id: 'site-test',
    source: { vendor: 'onguard', system_id: 'og-main', native_type: 'Lnl_Reader', native_id: String(deviceNo) },
    schema_version: 1,
    ...over,
  });
}
