import type { Logger } from 'pino';
import { describeError, EdgeError, type SystemConfig } from '@edge/platform';
import { tlsAgentOptions } from './client/tls';
import { webSdkBase } from './client/urls';
import { WebSdkClient } from './client/web-sdk-client';
import type { GenetecConfig } from './config';
import { DEFAULT_WEB_SDK_PATH } from './constants';

/**
 * Where the Web SDK answers without a session, for `config check`: the role's base URI answers
 * 401 without credentials when it runs (Genetec DAP wiki, "web sdk troubleshooting",
 * https://github.com/Genetec/DAP/wiki/web-sdk-troubleshooting).
 */
export function genetecProbe(s: SystemConfig): { url: string; headers: Record<string, string> } {
  const path = typeof s.web_sdk_path === 'string' ? s.web_sdk_path : DEFAULT_WEB_SDK_PATH;
  return { url: webSdkBase(s.base_url, path), headers: {} };
}

export interface SignInCheck {
  ok: boolean;
  /** Error code when refused (`genetec_licence_refused`, `genetec_privilege_missing`, …). */
  code: string | null;
  detail: string;
}

/** Signs in once (`GET <base>` with the credentials) and says whether licence, privilege and password pass. */
export async function checkGenetecSignIn(cfg: GenetecConfig, log: Logger, timeoutMs = 10_000): Promise<SignInCheck> {
  const client = new WebSdkClient({
    base: webSdkBase(cfg.base_url, cfg.web_sdk_path),
    username: cfg.username,
    applicationId: cfg.application_id,
    password: cfg.password,
    tls: tlsAgentOptions(cfg.tls),
    timeoutMs,
    retryForMs: 0,
    refusedRetryAfterMs: 0,
    log,
  });
  try {
    await client.get('', AbortSignal.timeout(timeoutMs));
    return { ok: true, code: null, detail: `signed in to the Web SDK at ${client.base}` };
  } catch (e) {
    return { ok: false, code: e instanceof EdgeError ? e.code : null, detail: describeError(e) };
  } finally {
    client.close();
  }
}
