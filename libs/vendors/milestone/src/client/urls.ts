/**
 * URLs of one XProtect API Gateway from the configured `base_url` (ARCHITECTURE §5: the server
 * root; a base that already ends with the REST path is accepted as is).
 */
export interface GatewayUrls {
  /** `https://host[:port]` plus any prefix path, without trailing slash. */
  root: string;
  rest: string;
  ws: string;
}

export function gatewayUrls(baseUrl: string): GatewayUrls {
  const u = new URL(baseUrl);
  let path = u.pathname.replace(/\/+$/, '');
  path = path.replace(/\/api\/rest\/v1$/i, '').replace(/\/api$/i, '');
  const root = `${u.protocol}//${u.host}${path}`;
  const wsScheme = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return { root, rest: `${root}/api/rest/v1`, ws: `${wsScheme}//${u.host}${path}/api/ws/events/v1` };
}

/** Query string in the gateway's style: flags without a value render bare (`?disabled&page=0`). */
export function queryString(q: Record<string, string | number | boolean | undefined> | undefined): string {
  if (!q) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === false) continue;
    parts.push(v === true || v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}
