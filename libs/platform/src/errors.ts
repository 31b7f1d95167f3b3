/**
 * Errors are values with a kind. The consume loop and the forwarder decide by kind:
 * - retryable: try again later (nak with backoff); nothing is dead-lettered.
 * - permanent: this input can never succeed (dead-letter it with the reason, move on).
 * - auth: credentials problem; pause and retry slowly, never dead-letter, never hammer.
 */
export type ErrorKind = 'retryable' | 'permanent' | 'auth';

export class EdgeError extends Error {
  readonly kind: ErrorKind;
  readonly code: string;
  /** Delay the source asked for (e.g. Retry-After), in ms. */
  readonly retryAfterMs?: number;
  constructor(kind: ErrorKind, code: string, message: string, opts: { cause?: unknown; retryAfterMs?: number } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'EdgeError';
    this.kind = kind;
    this.code = code;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

export const retryable = (code: string, message: string, opts?: { cause?: unknown; retryAfterMs?: number }) =>
  new EdgeError('retryable', code, message, opts);
export const permanent = (code: string, message: string, opts?: { cause?: unknown }) =>
  new EdgeError('permanent', code, message, opts);
export const authError = (code: string, message: string, opts?: { cause?: unknown; retryAfterMs?: number }) =>
  new EdgeError('auth', code, message, opts);

/** Kind of any thrown value: EdgeError keeps its kind; anything else is treated as retryable. */
export function errorKind(e: unknown): ErrorKind {
  return e instanceof EdgeError ? e.kind : 'retryable';
}

/** One-line description of any thrown value, safe for logs (no stack, no payload). */
export function describeError(e: unknown): string {
  if (e instanceof EdgeError) return `${e.code}: ${e.message}`;
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}
