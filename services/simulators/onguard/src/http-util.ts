import type { IncomingMessage, ServerResponse } from 'node:http';

export interface Req {
  method: string;
  /** Path below the OpenAccess root (`/instances`), or the full path for `/_sim` routes. */
  path: string;
  query: URLSearchParams;
  /** JSON body (or form fields for SignalR `send`); {} when none. */
  body: Record<string, unknown>;
  rawBody: string;
  headers: IncomingMessage['headers'];
  raw: IncomingMessage;
}

export const API_VERSION = '1.0';

export function sendJson(res: ServerResponse, status: number, body: unknown, extraHeaders: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...extraHeaders });
  res.end(text);
}

/** The OpenAccess error body (§1.8): `SharedResponseDefinition` + `error{code,message}`. */
export function oaError(res: ServerResponse, status: number, code: string, message: string, emptyBody = false): void {
  if (emptyBody) {
    res.writeHead(status, { 'content-length': 0 });
    res.end();
    return;
  }
  sendJson(res, status, { error: { code, message }, version: API_VERSION });
}

export async function readBody(req: IncomingMessage, limit = 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw new Error('body too large');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function parseBody(text: string, contentType: string | undefined): Record<string, unknown> | null {
  if (text.trim() === '') return {};
  if ((contentType ?? '').includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** A header in any of the spellings clients use (`Application-Id`, `application-id`, `application_id`). */
export function headerAny(req: Req, ...names: string[]): string | undefined {
  for (const n of names) {
    const v = req.headers[n.toLowerCase()];
    if (typeof v === 'string' && v !== '') return v;
  }
  return undefined;
}

/** A parameter from the query string or the JSON body (§1.2: both are the same to the server). */
export function param(req: Req, name: string): string | undefined {
  const q = req.query.get(name);
  if (q !== null) return q;
  const b = req.body[name];
  if (typeof b === 'string') return b;
  if (typeof b === 'number' || typeof b === 'boolean') return String(b);
  return undefined;
}
