import { randomBytes } from 'node:crypto';
import { splitWindowsName, type NtlmAccount } from './ntlm-server';

export type UserState = 'ok' | 'lockedOut' | 'changePassword';

interface User {
  password: string;
  state: UserState;
  failures: number;
}

const CLIENTS = new Set(['GrantValidatorClient', 'VmsClient', 'VmsAdminClient']);

function b64url(o: unknown): string {
  return Buffer.from(JSON.stringify(o)).toString('base64url');
}

export interface TokenAnswer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * The identity provider: password grant for basic users, JWT-looking bearer tokens with
 * `expires_in`, OAuth error bodies with `error_code` (InvalidCredentials, LockedOut,
 * ChangePassword) on 400 (§2). No refresh tokens for GrantValidatorClient.
 */
export class IdentityProvider {
  private readonly users = new Map<string, User>();
  private readonly tokens = new Map<string, { user: string; exp: number }>();
  /** Windows (Active Directory) accounts: NTLM only, never the password grant. */
  readonly windowsAccounts: NtlmAccount[] = [];

  constructor(
    private readonly o: { lifetimeSec: number; lockoutAfterFailures: number; issuer: () => string },
  ) {}

  addUser(username: string, password: string, state: UserState = 'ok'): void {
    this.users.set(username.toLowerCase(), { password, state, failures: 0 });
  }

  /** `CORP\\user` (or `user@corp.example`): a Windows account that logs in by NTLM only. */
  addWindowsUser(name: string, password: string): void {
    this.windowsAccounts.push({ ...splitWindowsName(name), password });
  }

  setUserState(username: string, state: UserState): void {
    const u = this.users.get(username.toLowerCase());
    if (u) {
      u.state = state;
      if (state === 'ok') u.failures = 0;
    }
  }

  get lifetimeSec(): number {
    return this.o.lifetimeSec;
  }

  setLifetime(sec: number): void {
    this.o.lifetimeSec = sec;
  }

  grant(form: URLSearchParams): TokenAnswer {
    const refuse = (error: string, description: string, code?: string): TokenAnswer => ({
      status: 400,
      body: { error, error_description: description, ...(code ? { error_code: code } : {}) },
    });
    if (!CLIENTS.has(form.get('client_id') ?? '')) return refuse('invalid_client', 'invalid_client');
    if (form.get('grant_type') !== 'password') return refuse('unsupported_grant_type', 'unsupported_grant_type');
    const name = (form.get('username') ?? '').toLowerCase();
    const u = this.users.get(name);
    if (!u || u.password !== (form.get('password') ?? '')) {
      if (u) {
        u.failures++;
        if (this.o.lockoutAfterFailures > 0 && u.failures >= this.o.lockoutAfterFailures) u.state = 'lockedOut';
        if (u.state === 'lockedOut') return refuse('invalid_grant', 'invalid_username_or_password', 'LockedOut');
      }
      return refuse('invalid_grant', 'invalid_username_or_password', 'InvalidCredentials');
    }
    if (u.state === 'lockedOut') return refuse('invalid_grant', 'invalid_username_or_password', 'LockedOut');
    if (u.state === 'changePassword') return refuse('invalid_grant', 'password_change_required', 'ChangePassword');
    u.failures = 0;
    return this.issue(name, form.get('client_id') ?? '');
  }

  /**
   * `grant_type=windows_credentials` after a successful NTLM handshake (`account`): the IDP
   * takes the user from Windows authentication, not from the form (Milestone's samples send
   * only grant_type and client_id).
   */
  grantWindows(form: URLSearchParams, account: NtlmAccount): TokenAnswer {
    if (!CLIENTS.has(form.get('client_id') ?? '')) return { status: 400, body: { error: 'invalid_client', error_description: 'invalid_client' } };
    if (form.get('grant_type') !== 'windows_credentials') return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'unsupported_grant_type' } };
    return this.issue(`${account.domain}\\${account.user}`.toLowerCase(), form.get('client_id') ?? '');
  }

  private issue(name: string, clientId: string): TokenAnswer {
    const exp = Date.now() + this.o.lifetimeSec * 1000;
    const token = [
      b64url({ alg: 'RS256', kid: 'sim-signing-key', typ: 'JWT' }),
      b64url({ iss: this.o.issuer(), sub: name, exp: Math.floor(exp / 1000), scope: 'managementserver', client_id: clientId }),
      randomBytes(32).toString('base64url'),
    ].join('.');
    this.tokens.set(token, { user: name, exp });
    return { status: 200, body: { access_token: token, expires_in: this.o.lifetimeSec, token_type: 'Bearer', scope: 'managementserver' } };
  }

  /** `Authorization` header value → validity. */
  check(header: string | undefined): 'ok' | 'expired' | 'invalid' | 'missing' {
    if (!header) return 'missing';
    const m = /^Bearer\s+(\S+)$/i.exec(header.trim());
    if (!m) return 'invalid';
    const t = this.tokens.get(m[1]);
    if (!t) return 'invalid';
    return Date.now() >= t.exp ? 'expired' : 'ok';
  }

  /** Every token issued so far expires now (new ones are fine). */
  expireAll(): number {
    const now = Date.now();
    for (const t of this.tokens.values()) t.exp = Math.min(t.exp, now - 1);
    return this.tokens.size;
  }
}
