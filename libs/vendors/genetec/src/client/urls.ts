/**
 * Base URL of the Web SDK: `base_url` is the server root (`https://sc.local:4590`); the role's
 * Base URI (default `WebSdk`) is appended unless base_url already ends with it.
 */
export function webSdkBase(baseUrl: string, webSdkPath: string): string {
  const root = baseUrl.replace(/\/+$/, '');
  const path = `/${webSdkPath.replace(/^\/+|\/+$/g, '')}`;
  if (root.toLowerCase().endsWith(path.toLowerCase())) return `${root}/`;
  return `${root}${path}/`;
}

/** A GUID as the collector keys it: lower case with dashes (the form the Web SDK answers with). */
export function guidKey(guid: string): string {
  return guid.trim().toLowerCase();
}

/**
 * A GUID inside `q=`: dashes removed (32 hex digits), the form the Web SDK command samples use
 * (e.g. `Open(a374769385ec49c0a8f653ac10ca0381)`, DAP web SDK samples) — a dash inside the
 * query syntax is otherwise ambiguous.
 */
export function guidInQuery(guid: string): string {
  return guid.trim().replace(/[{}-]/g, '').toLowerCase();
}

/** `a374769385ec49c0a8f653ac10ca0381` or a dashed GUID → dashed lower case; null if not a GUID. */
export function normalizeGuid(input: unknown): string | null {
  if (typeof input !== 'string') return null;
  const hex = input.trim().replace(/[{}-]/g, '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) return null;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
