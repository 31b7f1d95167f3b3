import type { Logger } from 'pino';
import type { MilestoneConfig } from '../config';
import { ConfigApiClient } from './config-api-client';
import { HttpTransport } from './http';
import { IdpAuth } from './idp-auth';
import { tlsOptionsFrom, type TlsOptions } from './tls';
import { gatewayUrls, type GatewayUrls } from './urls';

export interface MilestoneClients {
  urls: GatewayUrls;
  tls: TlsOptions;
  http: HttpTransport;
  auth: IdpAuth;
  api: ConfigApiClient;
}

/** The HTTP transport, IDP token client and Configuration API client of one XProtect system. */
export function milestoneClients(cfg: MilestoneConfig, log: Logger): MilestoneClients {
  const urls = gatewayUrls(cfg.base_url);
  const tls = tlsOptionsFrom(cfg.tls);
  const http = new HttpTransport({ tls, timeoutMs: cfg.request_timeout, maxBodyBytes: cfg.max_answer, maxSockets: Math.max(16, cfg.driver_settings_concurrency * 2) });
  const auth = new IdpAuth({
    root: urls.root,
    username: cfg.username,
    password: cfg.password,
    clientId: cfg.client_id,
    mode: cfg.auth,
    tls,
    tokenPath: cfg.token_path,
    http,
    log,
    authRetryAfterMs: cfg.auth_retry_after,
    accountProblemRetryAfterMs: cfg.account_problem_retry_after,
    timeoutMs: Math.min(cfg.request_timeout, 60_000),
  });
  const api = new ConfigApiClient({ restBase: urls.rest, auth, http, log, retryForMs: cfg.retry_for, timeoutMs: cfg.request_timeout });
  return { urls, tls, http, auth, api };
}
