/**
 * The NATS users of an edge box, generated from the process list (scripts/services.json) and the
 * roles of libs/platform (permissionsFor): one user per pipeline process (a collector per vendor,
 * the normalizer, the forwarder, and any process added there with a known role), the technician's
 * console and the operator CLI. Used by `npm start`'s local server, the compose `nats` service
 * (`edge-entrypoint nats`) and the site cluster/leaf configs (`include users.conf`).
 *
 * Passwords are written as bcrypt hashes, never in clear: nats-server compares a password against
 * a configured value starting with `$2` as bcrypt
 * (https://docs.nats.io/running-a-nats-service/configuration/securing_nats/auth_intro/username_password#bcrypted-passwords).
 * That also means any password works — digits only, spaces, quotes, `true` — because none is
 * parsed as a config token.
 */
import { readFileSync } from 'node:fs';
import { hashSync } from 'bcryptjs';
import { OPERATOR_USER, permissionsFor, REQUESTER_ROLES, type NatsPermissions, type NatsRole } from '@edge/platform';
import manifest from './services.json';

export interface NatsUserSpec {
  user: string;
  role: NatsRole;
  vendor?: string;
}

const ROLES: readonly NatsRole[] = ['collector', 'normalizer', 'forwarder', 'operator', 'console'];

/** Every user of the box: the pipeline processes of services.json, the console, the operator. */
export function natsUserSpecs(list: ReadonlyArray<{ name: string; vendor?: string }> = manifest.pipeline): NatsUserSpec[] {
  const out: NatsUserSpec[] = list.map((p) => {
    const role = (p.vendor ? 'collector' : p.name) as NatsRole;
    if (!ROLES.includes(role)) throw new Error(`process ${p.name} has no NATS role: add one to libs/platform/src/nats/permissions.ts`);
    return { user: p.name, role, ...(p.vendor ? { vendor: p.vendor } : {}) };
  });
  if (!out.some((u) => u.role === 'console')) out.push({ user: 'console', role: 'console' });
  out.push({ user: OPERATOR_USER, role: 'operator' });
  return out;
}

/** `NATS_PASSWORD_NORMALIZER` — where a user's password comes from (or its `_FILE`). */
export function passwordVar(user: string): string {
  return `NATS_PASSWORD_${user.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** Refuses what cannot be a NATS password, with the reason (bcrypt reads 72 bytes at most). */
export function checkNatsPassword(user: string, password: string): void {
  if (password.length === 0) throw new Error(`NATS password of user ${user} is empty`);
  if (Buffer.byteLength(password) > 72) throw new Error(`NATS password of user ${user} is longer than 72 bytes (bcrypt limit): use a shorter one`);
  if (/[\r\n\0]/.test(password)) throw new Error(`NATS password of user ${user} contains a line break or NUL: remove it`);
}

/** A user's password from VAR or VAR_FILE (Docker secrets); null when neither is set. */
export function readPassword(user: string, env: NodeJS.ProcessEnv): string | null {
  const name = passwordVar(user);
  if (env[name]) return env[name]!;
  const file = env[`${name}_FILE`];
  if (!file) return null;
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (e) {
    throw new Error(`${name}_FILE: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

const q = (s: string) => JSON.stringify(s);
const list = (xs: string[]) => `[${xs.map(q).join(', ')}]`;

function renderPermissions(p: NatsPermissions): string {
  return `{ publish: ${list(p.publish)}, subscribe: ${list(p.subscribe)} }`;
}

export interface RenderOptions {
  /** Password per user (clear text; hashed here). A user without one is left out. */
  passwords: Record<string, string>;
  /** Clients that present no credentials act as this user (the local server on loopback only). */
  noAuthUser?: string;
  /** bcrypt cost (default 10). */
  cost?: number;
}

/** `authorization { users: [...] }` for nats-server. */
export function renderAuthorization(specs: NatsUserSpec[], o: RenderOptions): string {
  const lines: string[] = [];
  // Users that send control requests: every service may answer them on their inboxes.
  const requesters = specs.filter((s) => REQUESTER_ROLES.includes(s.role)).map((s) => s.user);
  for (const s of specs) {
    const pw = o.passwords[s.user];
    if (pw === undefined) continue;
    checkNatsPassword(s.user, pw);
    const perms = permissionsFor(s.role, s.user, s.vendor, requesters);
    // The no-credentials identity has no password: nats-server (2.9) checks a no_auth_user's
    // password against the empty one the client sent, so a hashed one would refuse every client.
    const password = s.user === o.noAuthUser ? '' : `password: ${q(hashSync(pw, o.cost ?? 10))}, `;
    lines.push(`    { user: ${q(s.user)}, ${password}permissions: ${renderPermissions(perms)} }`);
  }
  if (lines.length === 0) throw new Error('no NATS user has a password');
  // A top-level option (https://docs.nats.io/running-a-nats-service/configuration#connectivity).
  const noAuth = o.noAuthUser ? `no_auth_user: ${q(o.noAuthUser)}\n` : '';
  return `${noAuth}authorization {\n  users: [\n${lines.join('\n')}\n  ]\n}\n`;
}
