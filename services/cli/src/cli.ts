import { parseArgs, type ParseArgsConfig } from 'node:util';
import { connectNats, createLogger, describeError, OPERATOR_USER, requestCommand, type NatsConnection } from '@edge/platform';
import { EXIT, UsageError, type CliCommand, type CliContext, type CliIo, type CliTarget, type OptionValues } from './command';
import { COMMANDS } from './commands';
import { resolveTarget } from './target';

const GLOBAL_OPTIONS: NonNullable<ParseArgsConfig['options']> = {
  config: { type: 'string', short: 'c' },
  nats: { type: 'string' },
  site: { type: 'string' },
  json: { type: 'boolean' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

function mainHelp(commands: readonly CliCommand[]): string {
  const w = Math.max(...commands.map((c) => c.name.length));
  return [
    'usage: npm run edge -- <command> [options]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '',
    'global options:',
    '  -c, --config <file>  edge config (default: $EDGE_CONFIG, else config/edge.yaml)',
    '  --nats <url>         NATS URL (overrides nats.url)',
    '  --site <id>          site id (overrides site.id)',
    '  --json               machine-readable output',
    '  --timeout <ms>       how long to wait for an answer (default 10000)',
    '',
    "'edge <command> --help' shows a command's options.",
  ].join('\n');
}

const stdio: CliIo = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) };

/** Runs one CLI invocation; returns the exit code. `main.ts` is only `process.exit(await runCli(argv))`. */
export async function runCli(argv: string[], io: CliIo = stdio, env: NodeJS.ProcessEnv = process.env, commands: readonly CliCommand[] = COMMANDS): Promise<number> {
  const name = argv.find((a) => !a.startsWith('-'));
  const command = commands.find((c) => c.name === name);
  if (!name || !command) {
    if (name && !command) io.err(`unknown command "${name}"\n`);
    (name ? io.err : io.out)(mainHelp(commands));
    return name ? EXIT.usage : argv.some((a) => a === '-h' || a === '--help') ? EXIT.ok : EXIT.usage;
  }
  let values: OptionValues;
  let positionals: string[];
  try {
    const parsed = parseArgs({ args: argv, options: { ...GLOBAL_OPTIONS, ...command.options }, allowPositionals: true, strict: true });
    values = parsed.values;
    positionals = parsed.positionals.slice(parsed.positionals.indexOf(name) + 1);
  } catch (e) {
    io.err(`${(e as Error).message}\n\n${command.usage}`);
    return EXIT.usage;
  }
  if (values.help) {
    io.out(command.usage);
    return EXIT.ok;
  }
  const timeoutMs = values.timeout === undefined ? 10_000 : Number(values.timeout);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    io.err('--timeout takes milliseconds');
    return EXIT.usage;
  }
  let target: CliTarget | null = null;
  let nc: NatsConnection | null = null;
  const ctx: CliContext = {
    ...io,
    json: values.json === true,
    timeoutMs,
    env,
    target: () =>
      (target ??= resolveTarget(
        { config: values.config as string | undefined, nats: values.nats as string | undefined, site: values.site as string | undefined },
        env,
      )),
    nats: async () => {
      if (nc) return nc;
      const t = ctx.target();
      const log = createLogger({ service: 'edge-cli', level: 'error', destination: { write: (s: string) => void io.err(s.trimEnd()) } });
      let timer: NodeJS.Timeout | undefined;
      const connecting = connectNats(
        // Without credentials the local server takes the CLI as its operator (no_auth_user).
        { url: t.nats.url, name: 'edge-cli', user: t.nats.user, password: t.nats.password, token: t.nats.token, credsFile: t.nats.creds_file, caFile: t.nats.ca_file, anonymousAs: OPERATOR_USER },
        log,
      );
      try {
        nc = await Promise.race([
          connecting,
          new Promise<never>((_r, reject) => {
            timer = setTimeout(() => reject(new Unreachable(`cannot reach NATS at ${t.nats.url} within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
      } finally {
        clearTimeout(timer);
      }
      // A connection that comes up after the timeout must not keep the process alive.
      connecting.then((late) => (late === nc ? undefined : late.close())).catch(() => undefined);
      return nc;
    },
    request: async (subject, body) => {
      const conn = await ctx.nats();
      try {
        return await requestCommand(conn, subject, body, timeoutMs);
      } catch (e) {
        const msg = describeError(e);
        if (/no responders|503/i.test(msg)) throw new Unreachable(`nothing answers on ${subject} (is the service running?)`);
        if (/timeout/i.test(msg)) throw new Unreachable(`no answer on ${subject} within ${timeoutMs} ms`);
        throw e;
      }
    },
  };
  try {
    return await command.run(ctx, positionals, values);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`${e.message}\n\n${command.usage}`);
      return EXIT.usage;
    }
    io.err(`error: ${describeError(e)}`);
    return e instanceof Unreachable ? EXIT.unreachable : EXIT.failed;
  } finally {
    await (nc as NatsConnection | null)?.close().catch(() => undefined);
  }
}

class Unreachable extends Error {}
