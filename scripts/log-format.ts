/**
 * Renders a service's pino JSON line for a person at a terminal: `12:00:01 INFO  msg key=value`.
 * Lines that are not pino JSON (nats-server) pass through. Off a terminal the JSON is kept as is
 * (EDGE_LOG_FORMAT=json|pretty overrides), so a log shipper still gets structured lines.
 */
const LEVEL_COLORS: Record<string, number> = { trace: 90, debug: 90, info: 32, warn: 33, error: 31, fatal: 35 };
const SKIP = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'service', 'site']);

export function wantPretty(env: NodeJS.ProcessEnv = process.env, tty = Boolean(process.stdout.isTTY)): boolean {
  if (env.EDGE_LOG_FORMAT === 'json') return false;
  if (env.EDGE_LOG_FORMAT === 'pretty') return true;
  return tty;
}

export function prettyLine(line: string, color = Boolean(process.stdout.isTTY)): string {
  if (!line.startsWith('{')) return line;
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const level = String(o.level ?? 'info');
  const time = typeof o.time === 'string' ? o.time.slice(11, 19) : '';
  const lvl = level.toUpperCase().padEnd(5);
  const extras = Object.entries(o)
    .filter(([k]) => !SKIP.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  const coloredLevel = color ? `\x1b[${LEVEL_COLORS[level] ?? 0}m${lvl}\x1b[0m` : lvl;
  return `${time} ${coloredLevel} ${String(o.msg ?? '')}${extras ? `  ${color ? '\x1b[90m' : ''}${extras}${color ? '\x1b[0m' : ''}` : ''}`;
}
