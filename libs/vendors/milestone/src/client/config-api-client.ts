import { z } from 'zod';
import type { Logger } from 'pino';
import { authError, errorKind, permanent, retry, RETRY_POLICIES, retryable, type EdgeError } from '@edge/platform';
import { errorForStatus, type HttpResponse, type HttpTransport } from './http';
import { safeJson, type IdpAuth } from './idp-auth';
import { queryString } from './urls';

/** `{"error":{"httpCode":404,"details":[{"errorText":"…"}]}}` (§3.1). */
const ErrorEnvelope = z.looseObject({
  error: z.looseObject({
    httpCode: z.union([z.number(), z.string()]).optional(),
    details: z.array(z.looseObject({ errorText: z.string().optional(), errorTextId: z.string().optional() })).optional(),
  }),
});
const ArrayEnvelope = z.looseObject({ array: z.array(z.unknown()) });
const DataEnvelope = z.looseObject({ data: z.unknown() });

export type Query = Record<string, string | number | boolean | undefined>;

export interface ConfigApiClientOptions {
  /** `https://host/api/rest/v1` */
  restBase: string;
  auth: IdpAuth;
  http: HttpTransport;
  log: Logger;
  /** Retry transient failures (5xx, 429, network) of one call for at most this long. */
  retryForMs: number;
  timeoutMs?: number;
}

/** Text of a gateway error answer: the envelope's errorText(s), else the start of the body (5xx may be plain text). */
export function gatewayErrorText(res: HttpResponse): string {
  const env = ErrorEnvelope.safeParse(safeJson(res.text));
  if (env.success) {
    const texts = (env.data.error.details ?? []).map((d) => [d.errorText, d.errorTextId && `(${d.errorTextId})`].filter(Boolean).join(' ')).filter(Boolean);
    if (texts.length) return texts.join('; ');
  }
  const t = res.text.replace(/\s+/g, ' ').trim();
  return t ? t.slice(0, 200) : `HTTP ${res.status}`;
}

/**
 * Client of the Configuration REST API (`/api/rest/v1`). Bearer auth with one renewal on 401;
 * `array`/`data` envelopes unwrapped; the error envelope turned into EdgeErrors with a kind;
 * transient failures retried with the platform's backoff, honouring Retry-After.
 */
export class ConfigApiClient {
  constructor(private readonly o: ConfigApiClientOptions) {}

  /** Raw JSON body of `GET <path>`; throws EdgeError for non-2xx. */
  async getJson(path: string, query?: Query, signal?: AbortSignal): Promise<unknown> {
    const url = `${this.o.restBase}/${path.replace(/^\/+/, '')}${queryString(query)}`;
    const what = `GET /${path.replace(/^\/+/, '')}`;
    return retry(
      async () => {
        const res = await this.authorized(url, what, signal);
        if (res.status >= 200 && res.status < 300) {
          const body = safeJson(res.text);
          if (body === undefined) throw retryable('bad_response', `${what}: answer is not JSON`);
          return body;
        }
        throw errorForStatus(res.status, `rest_${res.status}`, `${what}: ${gatewayErrorText(res)}`, res.headers);
      },
      {
        signal,
        maxElapsedMs: this.o.retryForMs,
        shouldRetry: (e) => errorKind(e) === 'retryable' && !signal?.aborted,
        delayFor: (e) => (e as EdgeError).retryAfterMs,
        policy: RETRY_POLICIES.vendorRequest,
        onRetry: (e, attempt, delay) => {
          if (attempt === 0 || attempt % 5 === 0) this.o.log.warn({ what, err: (e as Error).message, delay_ms: delay }, 'XProtect REST call failed; retrying');
        },
      },
    );
  }

  /** One request with the current token; on 401 the token is renewed once and the call repeated. */
  private async authorized(url: string, what: string, signal?: AbortSignal): Promise<HttpResponse> {
    const send = (token: string) =>
      this.o.http.request('GET', url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, signal, timeoutMs: this.o.timeoutMs });
    const token = await this.o.auth.getToken(signal);
    const res = await send(token);
    if (res.status !== 401) return res;
    this.o.auth.invalidate(token);
    const fresh = await this.o.auth.getToken(signal);
    const again = await send(fresh);
    if (again.status === 401) throw authError('rest_unauthorized', `${what}: 401 after renewing the token: ${gatewayErrorText(again)}`);
    return again;
  }

  /** Collection GET → items of `{"array":[…]}`. */
  async getArray(path: string, query?: Query, signal?: AbortSignal): Promise<unknown[]> {
    const body = await this.getJson(path, query, signal);
    const env = ArrayEnvelope.safeParse(body);
    if (!env.success) throw permanent('bad_envelope', `GET /${path}: expected {"array":[…]}`);
    return env.data.array;
  }

  /** Single GET → `data` of `{"data":{…}}`. */
  async getData(path: string, query?: Query, signal?: AbortSignal): Promise<unknown> {
    const body = await this.getJson(path, query, signal);
    const env = DataEnvelope.safeParse(body);
    if (!env.success) throw permanent('bad_envelope', `GET /${path}: expected {"data":{…}}`);
    return env.data.data;
  }

  /**
   * Pages of a collection (`?disabled&page=N&size=M`), items deduplicated by id, read to their
   * end: a short page ends it, so does a page larger than asked (the server sent everything).
   * A full page with nothing new means the server ignored `page` (the Config API is not
   * documented to page, §3.2): one unpaged read brings the rest, and when it brings nothing
   * new either the listing fails (`listing_incomplete`) — never a silent end, which the
   * normalizer would read as "the rest were removed".
   */
  async *pages(path: string, o: { includeDisabled: boolean; pageSize: number; signal?: AbortSignal; query?: Query }): AsyncGenerator<unknown[]> {
    const seen = new Set<string>();
    const base = { ...(o.includeDisabled ? { disabled: true } : {}), ...o.query };
    for (let page = 0; ; page++) {
      const items = await this.getArray(path, { ...base, page, size: o.pageSize }, o.signal);
      const fresh = unseen(items, seen);
      if (fresh.length) yield fresh;
      if (items.length !== o.pageSize || o.signal?.aborted) return;
      if (fresh.length > 0) continue;
      this.o.log.warn({ path, page, page_size: o.pageSize }, 'the server ignores "page": reading the collection unpaged instead');
      yield* this.unpaged(path, base, o.pageSize, seen, o.signal);
      return;
    }
  }

  /**
   * The rest of a collection from a server that ignores `page`: one read without paging; when
   * that brings nothing new (it may be cut to a default size), the first page with a growing
   * `size` until an answer is shorter than asked. Fails rather than end short.
   */
  private async *unpaged(path: string, base: Query, pageSize: number, seen: Set<string>, signal?: AbortSignal): AsyncGenerator<unknown[]> {
    const rest = unseen(await this.getArray(path, base, signal), seen);
    if (rest.length) {
      yield rest;
      return;
    }
    for (let size = pageSize * 2; size <= pageSize * 64; size *= 2) {
      const items = await this.getArray(path, { ...base, page: 0, size }, signal);
      const fresh = unseen(items, seen);
      if (fresh.length) yield fresh;
      if (items.length < size) return;
    }
    throw permanent('listing_incomplete', `GET /${path}: the server ignores "page" and no unpaged or larger page reached the end of the listing`);
  }

  /** Every item of a collection, in memory: only for small collections (sites, recording servers, event types). */
  async all(path: string, o: { includeDisabled: boolean; pageSize: number; signal?: AbortSignal }): Promise<unknown[]> {
    const out: unknown[] = [];
    for await (const page of this.pages(path, o)) out.push(...page);
    return out;
  }

  /**
   * `GET /hardware/{id}/hardwareDriverSettings` → the inner settings object (MAC, firmware,
   * serial). Accepts `array[0].hardwareDriverSettings`, `data.hardwareDriverSettings` or the
   * entry itself (§3.6); null when the answer has no settings.
   */
  async hardwareDriverSettings(hardwareId: string, signal?: AbortSignal): Promise<Record<string, unknown> | null> {
    const body = await this.getJson(`hardware/${encodeURIComponent(hardwareId)}/hardwareDriverSettings`, undefined, signal);
    return extractDriverSettings(body);
  }
}

/** Items whose id is not in `seen` (added to it); items without an id always count as new. */
function unseen(items: unknown[], seen: Set<string>): unknown[] {
  const out: unknown[] = [];
  for (const it of items) {
    const id = idOf(it);
    if (id !== null) {
      if (seen.has(id)) continue;
      seen.add(id);
    }
    out.push(it);
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Tolerant unwrapping of a hardwareDriverSettings answer. */
export function extractDriverSettings(body: unknown): Record<string, unknown> | null {
  if (!isRecord(body)) return null;
  const arr = Array.isArray(body.array) ? body.array : null;
  const entry = arr ? arr.find(isRecord) : isRecord(body.data) ? body.data : body;
  if (!isRecord(entry)) return null;
  const inner = Object.entries(entry).find(([k]) => k.toLowerCase() === 'hardwaredriversettings')?.[1];
  if (isRecord(inner)) return inner;
  return entry;
}

/** `id` or `relations.self.id` of an item, lower-case; null when it has neither. */
export function idOf(item: unknown): string | null {
  if (!isRecord(item)) return null;
  if (typeof item.id === 'string' && item.id) return item.id.toLowerCase();
  const rel = item.relations;
  if (isRecord(rel) && isRecord(rel.self) && typeof rel.self.id === 'string') return rel.self.id.toLowerCase();
  return null;
}

/** Kind-preserving "not found" check for optional resources. */
export function isNotFound(e: unknown): boolean {
  return (e as EdgeError)?.code === 'rest_404' || (e as EdgeError)?.code === 'rest_400';
}

