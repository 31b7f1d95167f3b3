import type { ParseArgsConfig } from 'node:util';
import type { NatsConnection } from '@edge/platform';

export type OptionValues = Record<string, string | boolean | Array<string | boolean> | undefined>;

/** Where the CLI talks to: the site's NATS, from the edge config or flags. */
export interface CliTarget {
  siteId: string;
  nats: { url: string; user?: string; password?: string; token?: string; creds_file?: string; ca_file?: string };
}

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

export interface CliContext extends CliIo {
  /** --json: print machine-readable JSON instead of tables. */
  readonly json: boolean;
  /** Request timeout (ms) for commands. */
  readonly timeoutMs: number;
  readonly env: NodeJS.ProcessEnv;
  target(): CliTarget;
  /** Connected on first use; closed by the CLI when the command ends. */
  nats(): Promise<NatsConnection>;
  /** Sends `body` to `subject` (core NATS request/reply) and returns the parsed JSON reply. */
  request(subject: string, body: unknown): Promise<unknown>;
}

/**
 * One top-level command (`edge <name> ...`). A command lives in its own file under commands/
 * and is listed once in commands/index.ts.
 */
export interface CliCommand {
  name: string;
  summary: string;
  /** Full help text shown by `edge <name> --help`. */
  usage: string;
  /** Options of this command (global ones are added by the CLI). */
  options?: ParseArgsConfig['options'];
  /** Returns the exit code. `args` are the positionals after the command name. */
  run(ctx: CliContext, args: string[], values: OptionValues): Promise<number>;
}

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const;

export class UsageError extends Error {}
