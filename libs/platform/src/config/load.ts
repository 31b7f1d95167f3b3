import { accessSync, constants as fsc, readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { edgeConfigSchema, type EdgeConfig, type VendorRegistration } from './schema';
import { registerSecret } from '../secrets';

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`invalid configuration ${file}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** `systems[1].base_url` */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out || '(root)';
}

export function formatZodIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => {
    let msg = i.message;
    if (i.code === 'unrecognized_keys') msg = `unknown field(s) ${i.keys.map((k) => `"${k}"`).join(', ')}`;
    else if (i.code === 'invalid_type' && /received undefined/.test(i.message)) msg = 'is required';
    return `${formatPath(i.path)}: ${msg}`;
  });
}

const SECRET_KEY = /(password|token|secret|api_key|application_id|private_key)$/i;

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * `${VAR}` references are swapped for inert tokens before YAML parsing (so they work inside
 * flow mappings like `{ password: ${PASS} }`), then resolved inside string values only — an
 * environment value can never change the structure of the file.
 */
function tokenizeEnvRefs(text: string): { text: string; refs: Array<{ name: string; def?: string }> } {
  const refs: Array<{ name: string; def?: string }> = [];
  const out = text.replace(ENV_REF, (_m, name: string, def: string | undefined) => {
    refs.push({ name, def });
    return `EDGEENVREF${refs.length - 1}X`;
  });
  return { text: out, refs };
}

/**
 * A variable's value: VAR, else the contents of the file VAR_FILE names (Docker secrets; one
 * trailing newline dropped). Undefined when neither is set.
 */
export function envValue(name: string, env: NodeJS.ProcessEnv, problems: string[] = [], path = ''): string | undefined {
  const v = env[name];
  if (v !== undefined && v !== '') return v;
  const file = env[`${name}_FILE`];
  if (!file) return undefined;
  try {
    const text = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    return text === '' ? undefined : text;
  } catch (e) {
    problems.push(`${path ? `${path}: ` : ''}${name}_FILE: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    return '';
  }
}

/**
 * Config sections a process never reads. In compose each container gets only its own secrets,
 * so a `${VAR}` there may be unset for it: it gets a placeholder instead of an error.
 * (The operator CLI and processes without EDGE_SERVICE read everything.)
 */
function unusedBy(service: string | undefined, path: Array<string | number>): boolean {
  if (!service) return false;
  const top = path[0];
  if (top === 'cloud') return service !== 'forwarder';
  if (top === 'systems') return !service.startsWith('collector-');
  return false;
}

const UNAVAILABLE = 'not-available-to-this-process';

function substitute(
  node: unknown,
  path: Array<string | number>,
  env: NodeJS.ProcessEnv,
  refs: Array<{ name: string; def?: string }>,
  problems: string[],
): unknown {
  if (typeof node === 'string') {
    return node.replace(/EDGEENVREF(\d+)X/g, (_m, i: string) => {
      const ref = refs[Number(i)];
      const v = envValue(ref.name, env, problems, formatPath(path));
      if (v !== undefined) return v;
      if (ref.def !== undefined) return ref.def;
      if (unusedBy(env.EDGE_SERVICE, path)) return UNAVAILABLE;
      problems.push(`${formatPath(path)}: environment variable ${ref.name} is not set`);
      return '';
    });
  }
  if (Array.isArray(node)) return node.map((v, i) => substitute(v, [...path, i], env, refs, problems));
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = substitute(v, [...path, k], env, refs, problems);
    return out;
  }
  return node;
}

/**
 * The deployment's own settings win over the file: EDGE_HTTP_HOST (compose sets the container's
 * interface so published status ports answer) and EDGE_HTTP_TOKEN(_FILE).
 */
function applyDeploymentEnv(cfg: Record<string, unknown>, env: NodeJS.ProcessEnv, problems: string[]): void {
  const host = env.EDGE_HTTP_HOST;
  const token = envValue('EDGE_HTTP_TOKEN', env, problems);
  if (!host && !token) return;
  const http = { ...((cfg.http as Record<string, unknown> | undefined) ?? {}) };
  if (host) http.host = host;
  if (token) http.token = token;
  cfg.http = http;
}

/**
 * Problems with the files the config names (CA files, NATS creds): each must be readable now.
 * `edge config check` reports them; a service refuses to start with them (a clear config error,
 * not a retry loop against a TLS error).
 */
export function checkConfigFiles(cfg: EdgeConfig): string[] {
  const files: Array<[string, string | undefined]> = [
    ['nats.ca_file', cfg.nats.ca_file],
    ['nats.creds_file', cfg.nats.creds_file],
    ['cloud.tls.ca_file', cfg.cloud.tls.ca_file],
    ...cfg.systems.map((s, i): [string, string | undefined] => [`systems[${i}].tls.ca_file`, s.tls.ca_file]),
  ];
  const problems: string[] = [];
  for (const [field, file] of files) {
    if (!file) continue;
    try {
      accessSync(file, fsc.R_OK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      problems.push(`${field}: cannot read ${file} (${code === 'ENOENT' ? 'no such file: put certificates in the certs directory mounted at /app/certs' : code})`);
    }
  }
  return problems;
}

/** Every string value under a secret-looking key (passwords, tokens, application ids). */
export function collectSecrets(node: unknown, key = ''): string[] {
  if (typeof node === 'string') return SECRET_KEY.test(key) && node.length >= 4 ? [node] : [];
  if (Array.isArray(node)) return node.flatMap((v) => collectSecrets(v, key));
  if (node && typeof node === 'object') return Object.entries(node).flatMap(([k, v]) => collectSecrets(v, k));
  return [];
}

/**
 * The YAML of a config file as plain data with its `${VAR}`s resolved — every one, or only
 * those inside the named top-level sections (the operator CLI reads `site` and `nats` and
 * need not hold the services' secrets). The one reader of config text: `npm start`, the
 * services and the CLI all go through it. Throws ConfigError.
 */
export function parseConfigText(text: string, file = '<inline>', env: NodeJS.ProcessEnv = process.env, sections?: readonly string[]): Record<string, unknown> {
  const tok = tokenizeEnvRefs(text);
  const doc = parseDocument(tok.text, { prettyErrors: true });
  if (doc.errors.length > 0) throw new ConfigError(file, doc.errors.map((e) => `YAML: ${e.message.split('\n')[0]}`));
  let raw: unknown;
  try {
    // Aliases, tags and anchors are resolved here and can still fail (e.g. an alias without anchor).
    raw = doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (e) {
    throw new ConfigError(file, [`YAML: ${String((e as Error)?.message ?? e).split('\n')[0]}`]);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(file, ['(root): must be a mapping']);
  const problems: string[] = [];
  const picked = sections ? Object.fromEntries(Object.entries(raw).filter(([k]) => sections.includes(k))) : raw;
  const substituted = substitute(picked, [], env, tok.refs, problems) as Record<string, unknown>;
  if (!sections) applyDeploymentEnv(substituted, env, problems);
  if (problems.length > 0) throw new ConfigError(file, problems);
  return substituted;
}

/** Reads a config file's text; a missing or unreadable file is a ConfigError. */
export function readConfigText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
    if (code === 'EACCES')
      throw new ConfigError(file, [
        `cannot read file: permission denied (EACCES) for uid ${uid ?? '?'}: make it readable by this user (the image runs as uid 10001: chmod 0640 and chgrp 10001, or chmod 0644 — secrets belong in \${VAR}s, not the file)`,
      ]);
    throw new ConfigError(file, [`cannot read file: ${code ?? String(e)}`]);
  }
}

export interface ConfigOptions {
  /** The vendor registry's list: systems must name one, collectors get their default ports. */
  vendors?: readonly VendorRegistration[];
}

/** Parses and validates config text. Throws ConfigError naming each field and problem. */
export function parseConfig(text: string, file = '<inline>', env: NodeJS.ProcessEnv = process.env, o: ConfigOptions = {}): EdgeConfig {
  const substituted = parseConfigText(text, file, env);
  const parsed = edgeConfigSchema(o.vendors).safeParse(substituted);
  if (!parsed.success) throw new ConfigError(file, formatZodIssues(parsed.error));
  for (const s of collectSecrets(substituted)) if (s !== UNAVAILABLE) registerSecret(s);
  return parsed.data;
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.EDGE_CONFIG || 'config/edge.yaml';
}

/** Loads `EDGE_CONFIG` (default `config/edge.yaml`). */
export function loadConfig(file: string = configPath(), env: NodeJS.ProcessEnv = process.env, o: ConfigOptions = {}): EdgeConfig {
  return parseConfig(readConfigText(file), file, env, o);
}
