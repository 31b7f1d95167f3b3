import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { createLogger, httpPortFor } from '@edge/platform';
import { TEST_DEADLINE_MS } from '@edge/platform/testing';
import { getJson, SYSTEMS, startStack, waitFor, type Stack } from '../../../test/e2e/stack';
import { REPO_ROOT } from '../../../scripts/services';
import { runCli } from '../../cli/src/cli';
import { openBrowser } from './browser';
import { startConsoleServer } from '../src/console-server';
import type { SiteReader } from '../src/site-reader';

/**
 * The status page in Debian's chromium against the pipeline (simulators, NATS, every service
 * and the console under the supervisor, as `npm start` runs them). Screenshots go to
 * test-results/console/.
 */
const TOKEN = 'console-test-token-5f1a';
const OUT = join(REPO_ROOT, 'test-results', 'console');
let stack: Stack;
let browser: Awaited<ReturnType<typeof openBrowser>>;
let page: Page;
let base: string;

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  stack = await startStack({ httpToken: TOKEN, onguard: { site: { panels: 3, readersPerPanel: 3, recorders: 1, camerasPerRecorder: 2 } }, milestone: { hardware: 3 } });
  base = `http://127.0.0.1:${httpPortFor(stack.pipeline.config, 'console')}`;
  const truth = stack.onguard.control.devices().length + stack.milestone.control.devices().length;
  await waitFor('the registry to hold every device', async () => ((await getJson<{ total?: number }>(`${base}/api/devices?limit=1`)).total ?? 0) >= truth, { timeoutMs: 120_000, logs: stack.logs });
  // A survey of the site, kept where the page shows it.
  await runCli(['survey', '--config', stack.configFile, '--events-wait', '2s'], { out: () => undefined, err: () => undefined }, stack.cliEnv);
  browser = await openBrowser();
  page = await browser.context.newPage();
  await page.goto(`${base}/`);
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
}, 600_000);

const reader = (id: string) => `[data-device-id="onguard:${SYSTEMS.onguard}:${id}"]`;

describe('status page in chromium', () => {
  it('turns a device red within seconds of it going offline, without a reload, and the timeline shows the outage', async () => {
    await page.locator('[data-live="up"]').waitFor({ timeout: TEST_DEADLINE_MS });
    const row = page.locator(`.tree ${reader('reader:2-2')}`);
    await row.waitFor({ timeout: TEST_DEADLINE_MS });
    expect(await row.getAttribute('data-status')).toBe('online');
    let navigations = 0;
    page.on('framenavigated', () => navigations++);
    stack.onguard.control.setOnline('reader:2-2', false);
    await page.locator(`.tree ${reader('reader:2-2')}[data-status="offline"]`).waitFor({ timeout: TEST_DEADLINE_MS });
    const dot = await page.locator(`.tree ${reader('reader:2-2')} .dot`).evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(el).backgroundColor);
    expect(dot).toBe('rgb(207, 34, 46)');
    await page.locator(`[data-offline-count] ${reader('reader:2-2')}`).waitFor({ timeout: TEST_DEADLINE_MS });
    await page.locator(`[data-timeline="${SYSTEMS.onguard}"]:not([data-max-offline="0"])`).waitFor({ timeout: TEST_DEADLINE_MS });
    expect(navigations).toBe(0);
    await page.screenshot({ path: join(OUT, 'console-outage.png'), fullPage: true });
  });

  it('filters by status, type and name', async () => {
    await page.getByLabel('status').selectOption('offline');
    await page.locator('.tree [data-device-id]').first().waitFor();
    await waitFor('only offline rows', async () => (await page.locator('.tree [data-device-id]:not([data-status="offline"])').count()) === 0 && (await page.locator('.tree [data-device-id]').count()) > 0);
    await page.getByLabel('status').selectOption('');
    await page.getByLabel('type').selectOption('camera');
    await waitFor('only cameras', async () => {
      const types = await page.locator('.tree [data-device-id] .muted').allTextContents();
      return types.length > 0 && types.every((t) => t === 'camera');
    });
    await page.getByLabel('type').selectOption('');
    const name = (await page.locator(`.tree ${reader('reader:1-3')}`).textContent())?.split(' access_control')[0].trim() ?? '';
    await page.getByLabel('name').fill(name);
    await waitFor('one match', async () => (await page.locator('[data-total]').getAttribute('data-total')) === '1');
    await page.getByLabel('name').fill('');
  });

  it('refuses "sync now" without the token and starts a sync with it', async () => {
    const button = page.locator(`button[data-action="sync"][data-system-id="${SYSTEMS.milestone}"]`);
    await button.click();
    await page.locator('[data-msg]', { hasText: 'refused (401)' }).waitFor({ timeout: TEST_DEADLINE_MS });
    const before = await lastSyncId(SYSTEMS.milestone);
    await page.getByLabel('token').fill(TOKEN);
    await page.getByLabel('token').press('Tab');
    await button.click();
    await page.locator('[data-msg]', { hasText: 'accepted' }).waitFor({ timeout: TEST_DEADLINE_MS });
    await waitFor('a new sync of the system', async () => (await lastSyncId(SYSTEMS.milestone)) !== before, { timeoutMs: 120_000 });
    await page.locator('[data-service="normalizer"] .st.online', { hasText: 'ready' }).waitFor({ timeout: TEST_DEADLINE_MS });
    await page.screenshot({ path: join(OUT, 'console.png'), fullPage: true });
  });

  it('shows the survey report of each system, viewable and downloadable', async () => {
    await page.locator(`[data-survey="${SYSTEMS.onguard}"]`).waitFor({ timeout: TEST_DEADLINE_MS });
    const r = await fetch(`${base}/surveys/${SYSTEMS.onguard}.html?download`);
    expect(r.headers.get('content-disposition')).toMatch(/attachment/);
    expect(await r.text()).toContain('Site survey');
  });
});

async function lastSyncId(system: string): Promise<string | null> {
  const v = await getJson<{ services: Array<{ status: { systems?: Array<{ system_id: string; last_sync?: { sync_id: string } | null }> } }> }>(`${base}/api/view`);
  return v.services.flatMap((s) => s.status.systems ?? []).find((s) => s.system_id === system)?.last_sync?.sync_id ?? null;
}

describe('console binding', () => {
  it('binds beyond loopback only with a token', async () => {
    const o = { port: 0, reader: {} as SiteReader, uiScript: async () => '', surveyDir: '/nonexistent', refreshMs: 60_000, log: createLogger({ service: 'console-test', level: 'fatal' }), status: () => ({}), ready: () => ({ ok: true, checks: {} }) };
    await expect(startConsoleServer({ ...o, host: '0.0.0.0' })).rejects.toThrow(/only with http.token/);
    const s = await startConsoleServer({ ...o, host: '0.0.0.0', token: TOKEN });
    try {
      expect((await fetch(`http://127.0.0.1:${s.port}/api/view`)).status).toBe(401);
      expect((await fetch(`http://127.0.0.1:${s.port}/healthz`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${s.port}/readyz`)).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});
