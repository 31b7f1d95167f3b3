/**
 * The OpenAccess client and the inventory pager, as the OnGuard collector uses them, against a
 * real HTTP server giving broken answers: each becomes an EdgeError with a kind and a message
 * naming the problem. Above all, an answer that is not a page — an error body with 200, a body of
 * the wrong shape — must never be read as "no devices of this type": a complete sync built on it
 * would report every such device removed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, EdgeError, errorKind } from '@edge/platform';
import { nativeKeyOf, OpenAccessClient, pagedInstances, PagedInstances } from '@edge/vendor-onguard';
import { HTML_200_LOGIN, HTML_503, hugeArray, startHostileServer, type Answer, type HostileServer } from './hostile-server';

const log = createLogger({ service: 'test', level: 'silent' });
const LOGIN = JSON.stringify({ session_token: 'tok-og-1', token_expiration_time: new Date(Date.now() + 3_600_000).toISOString(), version: '1.0' });

let srv: HostileServer;
let answer: Answer = { body: '{}' };

beforeAll(async () => {
  srv = await startHostileServer((req) => {
    const path = (req.url ?? '').split('?')[0];
    if (path.endsWith('/authentication')) return { body: LOGIN };
    if (path.endsWith('/settings/password_policy')) return { body: '{}' };
    return answer;
  });
});
afterAll(() => srv.close());

function client(o: { requestTimeoutMs?: number } = {}): OpenAccessClient {
  return new OpenAccessClient({
    baseUrl: srv.url,
    username: 'svc',
    password: 'og-pw-not-logged',
    directoryId: 'id-1',
    applicationId: 'APP',
    requestRetries: 0,
    requestTimeoutMs: o.requestTimeoutMs ?? 3_000,
    log,
  });
}

async function failure(p: Promise<unknown>): Promise<EdgeError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e, 'expected a failure').toBeInstanceOf(EdgeError);
  return e as EdgeError;
}

async function readersOf(c: OpenAccessClient): Promise<number> {
  let n = 0;
  for await (const page of pagedInstances(c, 'Lnl_Reader', (pvm) => nativeKeyOf('Lnl_Reader', pvm), { pageSize: 100, log })) n += page.length;
  return n;
}

describe('OpenAccess answers that are not what the API promises', () => {
  it.each<[string, 'retryable' | 'permanent', Answer, RegExp]>([
    ['an IIS HTML 503 page', 'retryable', { status: 503, headers: { 'content-type': 'text/html' }, body: HTML_503 }, /503/],
    ['a captive-portal HTML page with 200', 'retryable', { headers: { 'content-type': 'text/html' }, body: HTML_200_LOGIN }, /not JSON/],
    ['JSON cut off mid-body', 'retryable', { body: '{"item_list":[{"property_value_map":{"PanelID":1', cutAfterBytes: 25 }, /reset|aborted|network|not JSON/i],
    ['item_list of the wrong type', 'permanent', { body: '{"count":1,"item_list":"none"}' }, /unexpected answer.*item_list/],
    ['a 200 carrying an OpenAccess error body', 'retryable', { body: JSON.stringify({ error: { code: 'openaccess.general.unexpectederror', message: 'An unexpected error occurred.' }, version: '1.0' }) }, /unexpectederror|unexpected error/],
  ])('%s → %s error naming it, never an empty page', async (_n, kind, a, message) => {
    answer = a;
    const c = client();
    const e = await failure(readersOf(c));
    await c.close(false);
    expect(errorKind(e)).toBe(kind);
    expect(e.message).toMatch(message);
    expect(e.message).not.toContain('og-pw-not-logged');
  });

  it('a page much larger than asked is read once and ends the walk (a server ignoring paging)', async () => {
    answer = {
      body: JSON.stringify({ count: 300, page_number: 1, page_size: 100, total_pages: 1, item_list: Array.from({ length: 300 }, (_, i) => ({ property_value_map: { PanelID: 1, ReaderID: i + 1 } })) }),
    };
    const c = client();
    const before = srv.requests.length;
    expect(await readersOf(c)).toBe(300);
    await c.close(false);
    expect(srv.requests.slice(before).filter((r) => r.path.includes('/instances')).length).toBe(1);
  });

  it('an answer larger than the client reads is refused with a clear permanent error, not buffered', async () => {
    answer = { body: hugeArray(3_000, 1_000, () => ['{"count":3000,"page_number":1,"page_size":100,"total_pages":1,"item_list":[', ']}']) };
    const c = new OpenAccessClient({ baseUrl: srv.url, username: 'svc', password: 'og-pw-not-logged', directoryId: 'id-1', applicationId: 'APP', requestRetries: 0, maxAnswerBytes: 1024 * 1024, log });
    const e = await failure(readersOf(c));
    await c.close(false);
    expect(errorKind(e)).toBe('permanent');
    expect(e.code).toBe('onguard_answer_too_large');
    expect(e.message).toMatch(/larger than the client reads.*page_size/);
  });

  it('an answer that never ends in time is a retryable timeout', async () => {
    answer = { hang: true };
    const c = client({ requestTimeoutMs: 300 });
    const e = await failure(readersOf(c));
    await c.close(false);
    expect(errorKind(e)).toBe('retryable');
  });

  it('the page schema refuses wrong types outright (never throws)', () => {
    for (const v of [null, 'x', 1, [], { item_list: 'x' }, { item_list: [{ property_value_map: 'x' }] }, { count: 'many' }]) {
      const r = PagedInstances.safeParse(v);
      if (r.success) expect(Array.isArray(r.data.item_list ?? [])).toBe(true);
    }
  });
});
