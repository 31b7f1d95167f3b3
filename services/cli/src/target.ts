import { existsSync } from 'node:fs';
import { parseConfigText, readConfigText } from '@edge/platform';
import { z } from 'zod';
import { IdToken } from '@edge/contracts';
import type { CliTarget } from './command';

/**
 * The part of the edge config the CLI needs (site id and NATS connection). Only these fields
 * are read and only their `${VAR}`s are resolved: an operator's shell need not hold the
 * services' secrets (cloud token, vendor passwords) to run a command.
 */
const TargetConfig = z.object({
  site: z.object({ id: IdToken }),
  nats: z
    .object({
      url: z.string().regex(/^(nats|tls):\/\/\S+$/, 'must be a nats:// or tls:// URL').optional(),
      user: z.string().min(1).optional(),
      password: z.string().min(1).optional(),
      token: z.string().min(1).optional(),
      creds_file: z.string().min(1).optional(),
      ca_file: z.string().min(1).optional(),
    })
    .default({}),
});

export function resolveTarget(flags: { config?: string; nats?: string; site?: string }, env: NodeJS.ProcessEnv): CliTarget {
  const file = flags.config ?? env.EDGE_CONFIG ?? (existsSync('config/edge.yaml') ? 'config/edge.yaml' : undefined);
  let fromFile: z.infer<typeof TargetConfig> | null = null;
  if (file && !(flags.site && flags.nats)) {
    // The platform's config reader: the same `${VAR}` handling as `npm start` (flow maps too).
    const raw = parseConfigText(readConfigText(file), file, env, ['site', 'nats']);
    const p = TargetConfig.safeParse({ site: raw.site, nats: raw.nats ?? {} });
    if (!p.success) throw new Error(`${file}: ${p.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    fromFile = p.data;
  }
  const siteId = flags.site ?? fromFile?.site.id;
  // A config without nats.url runs on the local server `npm start` starts (EDGE_NATS_PORT, default 4222).
  const url = flags.nats ?? fromFile?.nats.url ?? env.NATS_URL ?? (fromFile ? `nats://127.0.0.1:${env.EDGE_NATS_PORT || 4222}` : undefined);
  if (!siteId) throw new Error('no site: pass --site <id> or --config <edge.yaml> (or set EDGE_CONFIG)');
  if (!url) throw new Error('no NATS URL: pass --nats <url>, set nats.url in the config, or NATS_URL');
  if (!IdToken.safeParse(siteId).success) throw new Error(`site id "${siteId}" is not valid`);
  return { siteId, nats: { ...(fromFile?.nats ?? {}), url } };
}
