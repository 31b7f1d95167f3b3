import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { EdgeConfig } from './schema';
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
      const v = env[ref.name];
      if (v !== undefined && v !== '') return v;
      if (ref.def !== undefined) return ref.def;
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
  if (problems.length > 0) throw new ConfigError(file, problems);
  return substituted;
}

/** Reads a config file's text; a missing or unreadable file is a ConfigError. */
export function readConfigText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, [`cannot read file: ${(e as NodeJS.ErrnoException).code ?? String(e)}`]);
  }
}

/** Parses and validates config text. Throws ConfigError naming each field and problem. */
export function parseConfig(text: string, file = '<inline>', env: NodeJS.ProcessEnv = process.env): EdgeConfig {
  const substituted = parseConfigText(text, file, env);
  const parsed = EdgeConfig.safeParse(substituted);
  if (!parsed.success) throw new ConfigError(file, formatZodIssues(parsed.error));
  for (const s of collectSecrets(substituted)) registerSecret(s);
  return parsed.data;
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.EDGE_CONFIG || 'config/edge.yaml';
}

/** Loads `EDGE_CONFIG` (default `config/edge.yaml`). */
export function loadConfig(file: string = configPath(), env: NodeJS.ProcessEnv = process.env): EdgeConfig {
  return parseConfig(readConfigText(file), file, env);
}
