/** The page's calls to its own box; the token (for actions, or a wider bind) is kept for the tab only. */
export function token(): string {
  return sessionStorage.getItem('edge-token') ?? '';
}
export function setToken(t: string): void {
  sessionStorage.setItem('edge-token', t);
}

function withToken(path: string): string {
  const t = token();
  return t ? `${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(t)}` : path;
}

export async function getJson<T>(path: string): Promise<T> {
  const r = await fetch(withToken(path), { cache: 'no-store' });
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return (await r.json()) as T;
}

export async function post(path: string, body: unknown): Promise<{ ok: boolean; status: number; body: Record<string, unknown> }> {
  const r = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', ...(token() ? { authorization: `Bearer ${token()}` } : {}) }, body: JSON.stringify(body) });
  return { ok: r.ok, status: r.status, body: (await r.json().catch(() => ({}))) as Record<string, unknown> };
}

export function live(onView: (v: unknown) => void, onState: (up: boolean) => void): () => void {
  const es = new EventSource(withToken('/api/live'));
  es.addEventListener('view', (e) => onView(JSON.parse((e as MessageEvent<string>).data)));
  es.onopen = () => onState(true);
  es.onerror = () => onState(false);
  return () => es.close();
}
