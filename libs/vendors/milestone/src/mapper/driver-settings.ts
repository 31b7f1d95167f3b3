import { getCi, normalizeMac, textOrNull } from '@edge/contracts';

/**
 * Tolerant reads of `hardwareDriverSettings` values. Key casing and nesting vary between
 * installs and drivers (`macAddress`, `MacAddress`, SOAP-style `…/MacAddress/…` keys), and the
 * collector may hand over the inner settings object or its envelope entry (§3.6).
 */
function compact(k: string): string {
  return k.toLowerCase().replace(/[^a-z0-9]/g, '');
}

function find(settings: Record<string, unknown> | null | undefined, names: string[], depth = 0): unknown {
  if (!settings || typeof settings !== 'object' || depth > 3) return undefined;
  for (const n of names) {
    const v = getCi(settings, n);
    if (v !== undefined && v !== null && v !== '') return v;
  }
  const wanted = new Set(names.map(compact));
  for (const [k, v] of Object.entries(settings)) {
    // SOAP-style composite keys: `Device/MacAddress/0`.
    if (k.includes('/') && k.split('/').some((seg) => wanted.has(compact(seg))) && v !== '' && v !== null) return v;
    if (wanted.has(compact(k)) && v !== '' && v !== null) return v;
  }
  for (const v of Object.values(settings)) {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const inner = find(v as Record<string, unknown>, names, depth + 1);
      if (inner !== undefined) return inner;
    }
  }
  return undefined;
}

export function macFromSettings(settings: Record<string, unknown> | null | undefined): string | null {
  return normalizeMac(textOrNull(find(settings, ['macAddress', 'mac_address', 'mac'])));
}

export function firmwareFromSettings(settings: Record<string, unknown> | null | undefined): string | null {
  return textOrNull(find(settings, ['firmwareVersion', 'firmware']));
}

export function serialFromSettings(settings: Record<string, unknown> | null | undefined): string | null {
  return textOrNull(find(settings, ['serialNumber', 'serial']));
}
