/**
 * The XProtect clients (IDP token + Configuration REST, wired as the collector wires them)
 * against a real HTTP server giving the broken answers gateways and proxies give: every one
 * becomes an EdgeError with a kind the collector acts on and a message that says what was wrong;
 * none hangs, none loops, none reads an unbounded body.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, EdgeError, errorKind } from '@edge/platform';
import { ConfigApiClient, HttpTransport, IdpAuth } from '@edge/vendor-milestone';
import { HTML_200_LOGIN, HTML_503, hugeArray, startHostileServer, type Answer, type HostileServer } from './hostile-server';

const log = createLogger({ service: 'test', level: 'silent' });
const TOKEN = JSON.stringify({ access_token: 'tok-abc', expires_in: 3600, token_type: 'Bearer' });

let srv: HostileServer;
let rest: Answer = { body: '{"array":[]}' };
let token: Answer = { body: TOKEN };

beforeAll(async () => {
  srv = await startHostileServer((req) => (/connect\/token/.test(req.url ?? '') ? token : rest));
});
afterAll(() => srv.close());

function clients(o: { maxBodyBytes?: number; timeoutMs?: number } = {}) {
  const http = new HttpTransport({ tls: { rejectUnauthorized: true }, timeoutMs: o.timeoutMs ?? 2_000, maxBodyBytes: o.maxBodyBytes });
  const auth = new IdpAuth({ root: srv.url, username: 'svc', password: 'pw-not-logged', clientId: 'GrantValidatorClient', http, log, authRetryAfterMs: 60_000, accountProblemRetryAfterMs: 60_000 });
  const api = new ConfigApiClient({ restBase: `${srv.url}/api/rest/v1`, auth, http, log, retryForMs: 600 });
  return { http, auth, api };
}

async function failure(p: Promise<unknown>): Promise<EdgeError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e, 'expected a failure').toBeInstanceOf(EdgeError);
  return e as EdgeError;
}

describe('XProtect REST answers that are not what the API promises', () => {
  it.each<[string, 'retryable' | 'permanent', Answer, RegExp]>([
    ['an IIS HTML 503 page', 'retryable', { status: 503, headers: { 'content-type': 'text/html' }, body: HTML_503 }, /Service Unavailable/],
    ['a captive-portal HTML page with 200', 'retryable', { headers: { 'content-type': 'text/html' }, body: HTML_200_LOGIN }, /not JSON/],
    ['JSON cut off mid-body', 'retryable', { body: '{"array":[{"id":"a","name":"cam', cutAfterBytes: 20 }, /network|aborted|ECONNRESET|not JSON/],
    ['200 with the gateway error envelope', 'permanent', { body: '{"error":{"httpCode":500,"details":[{"errorText":"Internal error"}]}}' }, /expected \{"array"/],
    ['"array" of the wrong type', 'permanent', { body: '{"array":{"id":"x"}}' }, /expected \{"array"/],
    ['the envelope missing', 'permanent', { body: '{"items":[]}' }, /expected \{"array"/],
    ['a 500 with plain text', 'retryable', { status: 500, headers: { 'content-type': 'text/plain' }, body: 'Object reference not set to an instance of an object.' }, /Object reference/],
    ['a 404 error envelope', 'permanent', { status: 404, body: '{"error":{"httpCode":404,"details":[{"errorText":"Not found"}]}}' }, /Not found/],
  ])('%s → %s error naming the problem', async (_name, kind, answer, message) => {
    rest = answer;
    const { api, http } = clients();
    const before = srv.requests.length;
    const e = await failure(api.getArray('cameras'));
    http.close();
    expect(errorKind(e)).toBe(kind);
    expect(e.message).toMatch(message);
    // Retryable answers are retried within retry_for and then reported; permanent ones are not retried.
    const calls = srv.requests.slice(before).filter((r) => r.path.startsWith('/api/rest')).length;
    if (kind === 'permanent') expect(calls).toBe(1);
    else expect(calls).toBeGreaterThanOrEqual(1);
  });

  it('a page far larger than the body limit is refused without reading it all (bounded memory)', async () => {
    rest = { body: hugeArray(20_000, 1_000) }; // ~20 MB
    const { api, http } = clients({ maxBodyBytes: 2 * 1024 * 1024 });
    const heapBefore = process.memoryUsage().heapUsed;
    const e = await failure(api.getArray('hardware'));
    http.close();
    expect(e.code).toBe('response_too_large');
    expect(errorKind(e)).toBe('permanent');
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
  });

  it('a server that ignores paging and answers everything at once ends the walk after one page', async () => {
    rest = { body: hugeArray(50, 100) };
    const { api, http } = clients();
    const before = srv.requests.length;
    const pages: unknown[][] = [];
    for await (const p of api.pages('cameras', { includeDisabled: true, pageSize: 10 })) pages.push(p);
    http.close();
    expect(pages).toHaveLength(1);
    expect(pages[0]).toHaveLength(50);
    expect(srv.requests.slice(before).filter((r) => r.path.startsWith('/api/rest')).length).toBe(1);
  });

  it('a server that never answers times out as a retryable error', async () => {
    rest = { hang: true };
    const { api, http } = clients({ timeoutMs: 300 });
    const e = await failure(api.getArray('cameras'));
    http.close();
    expect(errorKind(e)).toBe('retryable');
    expect(e.message).toMatch(/no complete answer within 300 ms/);
  });
});

describe('XProtect identity provider answers', () => {
  it.each<[string, 'retryable' | 'auth' | 'permanent', Answer, RegExp]>([
    ['HTML with 200', 'retryable', { headers: { 'content-type': 'text/html' }, body: HTML_200_LOGIN }, /without a usable access_token/],
    ['access_token of the wrong type', 'retryable', { body: '{"access_token":12345,"expires_in":3600}' }, /without a usable access_token/],
    ['truncated token JSON', 'retryable', { body: TOKEN, cutAfterBytes: 10 }, /network|aborted|ECONNRESET|usable access_token/],
    ['invalid_grant', 'auth', { status: 400, body: '{"error":"invalid_grant","error_description":"invalid_username_or_password"}' }, /rejected the username or password/],
    ['an HTML 401', 'auth', { status: 401, headers: { 'content-type': 'text/html' }, body: '<html>401</html>' }, /rejected the credentials/],
  ])('%s → %s', async (_name, kind, answer, message) => {
    token = answer;
    rest = { body: '{"array":[]}' };
    const { api, http } = clients();
    const e = await failure(api.getArray('cameras'));
    http.close();
    token = { body: TOKEN };
    expect(errorKind(e)).toBe(kind);
    expect(e.message).toMatch(message);
    // The password never appears in what is reported.
    expect(e.message).not.toContain('pw-not-logged');
  });
});
