/**
 * Pure decoders every vendor mapper needs. Each returns null for "no usable value" rather than
 * guessing, because a wrong MAC or IP is worse than none.
 */

/** `00075FD83950`, `00-07-5f-d8-39-50`, `0007.5fd8.3950`, `00:07:5f:d8:39:50` → `00:07:5F:D8:39:50`. */
export function normalizeMac(input: unknown): string | null {
  if (typeof input !== 'string') return null;
  const s = input.trim();
  if (s === '') return null;
  let hex: string;
  if (/^[0-9A-Fa-f]{12}$/.test(s)) hex = s;
  else if (/^[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(\1[0-9A-Fa-f]{2}){4}$/.test(s)) hex = s.replace(/[:-]/g, '');
  else if (/^[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}$/.test(s)) hex = s.replace(/\./g, '');
  else if (/^[0-9A-Fa-f]{1,2}([:-])([0-9A-Fa-f]{1,2}\1){4}[0-9A-Fa-f]{1,2}$/.test(s)) hex = s.split(/[:-]/).map((b) => b.padStart(2, '0')).join('');
  else return null;
  hex = hex.toUpperCase();
  if (/^0{12}$/.test(hex) || /^F{12}$/.test(hex)) return null;
  return hex.match(/../g)!.join(':');
}

/** OnGuard stores IPv4 as a little-endian 32-bit integer: 167880896 → 192.168.1.10; 0 → null. */
export function ipv4FromLittleEndianInt(input: unknown): string | null {
  const n = typeof input === 'string' && /^-?\d+$/.test(input.trim()) ? Number(input.trim()) : input;
  if (typeof n !== 'number' || !Number.isInteger(n)) return null;
  if (n < -2147483648 || n > 4294967295) return null;
  const u = n >>> 0;
  if (u === 0) return null;
  return [u & 0xff, (u >>> 8) & 0xff, (u >>> 16) & 0xff, (u >>> 24) & 0xff].join('.');
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
export function isIpv4(s: string): boolean {
  return IPV4.test(s);
}
export function isIpv6(s: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(s) || !s.includes(':')) return false;
  try {
    return new URL(`http://[${s}]/`).hostname.length > 2;
  } catch {
    return false;
  }
}

/**
 * Host part of a URL-shaped or bare address: `http://10.1.2.3:8554/` → `10.1.2.3`,
 * `https://[fe80::1]:443/x` → `fe80::1`, `cam-01.local` → `cam-01.local`, `10.0.0.5:80` → `10.0.0.5`.
 */
export function hostFromAddress(input: unknown): string | null {
  if (typeof input !== 'string') return null;
  const s = input.trim();
  if (s === '') return null;
  if (isIpv6(s)) return s.toLowerCase();
  const withScheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(s) ? s : `http://${s}`;
  try {
    const host = new URL(withScheme).hostname;
    if (!host) return null;
    return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host.toLowerCase();
  } catch {
    return null;
  }
}

/** IP text from a URL-shaped address, or null when the host is a name. */
export function ipFromAddress(input: unknown): string | null {
  const h = hostFromAddress(input);
  if (h === null) return null;
  return isIpv4(h) || isIpv6(h) ? h : null;
}

/** Hostname from a URL-shaped address, or null when the host is an IP. */
export function hostnameFromAddress(input: unknown): string | null {
  const h = hostFromAddress(input);
  if (h === null) return null;
  return isIpv4(h) || isIpv6(h) ? null : h;
}

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Vendor timestamp → UTC ISO-8601 with milliseconds. Accepts 7-digit fractions and offsets
 * (`2024-05-19T09:35:22.1234567-05:00` → `2024-05-19T14:35:22.123Z`), .NET `/Date(ms)/`, and
 * epoch milliseconds. A timestamp without an offset is read as `assumeZone` (default UTC).
 * `0001-01-01…` (the .NET "unset") and unparseable input → null.
 */
export function toUtcIso(input: unknown, assumeZone: 'utc' | 'local' = 'utc'): string | null {
  if (input instanceof Date) return isoOrNull(input);
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input <= 0) return null;
    return isoOrNull(new Date(input));
  }
  if (typeof input !== 'string') return null;
  const s = input.trim();
  if (s === '') return null;
  const ms = /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/.exec(s);
  if (ms) return toUtcIso(Number(ms[1]));
  const m = ISO_RE.exec(s);
  if (!m) return null;
  const [, y, mo, d, h, mi, sec = '0', frac = '', zone] = m;
  if (Number(y) <= 1) return null;
  const milli = Number((frac + '000').slice(0, 3));
  if (Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > daysInMonth(Number(y), Number(mo)) || Number(h) > 23 || Number(mi) > 59 || Number(sec) > 60)
    return null;
  // Date.UTC and new Date(y, …) read years 0–99 as 1900–1999: the full year is set explicitly.
  const utc = new Date(Date.UTC(2000, Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec), milli));
  utc.setUTCFullYear(Number(y));
  let t = utc.getTime();
  if (zone && zone.toUpperCase() !== 'Z') {
    const zm = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
    const off = (Number(zm[2]) * 60 + Number(zm[3] ?? '0')) * (zm[1] === '+' ? 1 : -1);
    t -= off * 60_000;
  } else if (!zone && assumeZone === 'local') {
    const local = new Date(2000, Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec), milli);
    local.setFullYear(Number(y));
    t = local.getTime();
  }
  return isoOrNull(new Date(t));
}

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

/**
 * ISO text of a date, or null when it has none or lies outside years 0000–9999: `toISOString`
 * writes those as `+010000-…`, which is not a UTC timestamp any consumer accepts.
 */
function isoOrNull(d: Date): string | null {
  if (Number.isNaN(d.getTime())) return null;
  const iso = d.toISOString();
  return /^\d{4}-/.test(iso) ? iso : null;
}

/** Trims a string; empty → null. */
export function textOrNull(input: unknown): string | null {
  if (typeof input === 'number' && Number.isFinite(input)) return String(input);
  if (typeof input !== 'string') return null;
  const s = input.trim();
  return s === '' ? null : s;
}

/** Reads a property by case-insensitive key (vendors differ in casing across versions). */
export function getCi(obj: unknown, key: string): unknown {
  if (obj === null || typeof obj !== 'object') return undefined;
  const rec = obj as Record<string, unknown>;
  if (key in rec) return rec[key];
  const lk = key.toLowerCase();
  for (const k of Object.keys(rec)) if (k.toLowerCase() === lk) return rec[k];
  return undefined;
}
