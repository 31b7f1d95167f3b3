/**
 * Renders a service's pino JSON line for a person at a terminal with pino-pretty (`[12:00:01] INFO: msg {…}`).
 * Lines that are not pino JSON (nats-server) pass through. Off a terminal the JSON is kept as is
 * (EDGE_LOG_FORMAT=json|pretty overrides), so a log shipper still gets structured lines.
 */
const SKIP = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'service', 'site']);

export function wantPretty(env: NodeJS.ProcessEnv = process.env, tty = Boolean(process.stdout.isTTY)): boolean {
  if (env.EDGE_LOG_FORMAT === 'json') return false;
  if (env.EDGE_LOG_FORMAT === 'pretty') return true;
  return tty;
}

type Prettifier = (line: string) => string;
const prettifiers = new Map<boolean, Prettifier | null>();

/** pino-pretty's formatter (https://github.com/pinojs/pino-pretty), loaded on first use. */
function prettifier(color: boolean): Prettifier | null {
  if (!prettifiers.has(color)) {
    try {
      // Not bundled (scripts/build.mjs lists it as external): dist/start.js in the image logs JSON.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { prettyFactory } = require('pino-pretty') as { prettyFactory: (o: Record<string, unknown>) => Prettifier };
      prettifiers.set(color, prettyFactory({ colorize: color, translateTime: 'SYS:HH:MM:ss', ignore: [...SKIP].filter((k) => k !== 'level' && k !== 'time' && k !== 'msg').join(','), singleLine: true }));
    } catch {
      prettifiers.set(color, null);
    }
  }
  return prettifiers.get(color) ?? null;
}

/** A pino JSON line rendered for a person; anything else (nats-server lines, bad JSON) as is. */
export function prettyLine(line: string, color = Boolean(process.stdout.isTTY)): string {
  if (!line.startsWith('{')) return line;
  try {
    JSON.parse(line);
  } catch {
    return line;
  }
  const f = prettifier(color);
  return f ? f(line).replace(/\n$/, '') : line;
}
