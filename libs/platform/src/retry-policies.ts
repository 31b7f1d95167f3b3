import type { BackoffPolicy } from './backoff';

/**
 * Every retry and backoff policy of the platform, named once with its defaults. Each is the one
 * backoff shape of `backoffDelay` (exponential with full jitter: random(0, min(cap, base·2^n)),
 * never below the floor). Callers take a policy from here and override only what their config
 * names (e.g. a vendor's `reconnect_base`/`reconnect_cap`, the cloud's `cloud.retry`); no caller
 * writes backoff numbers of its own.
 */
export interface NamedRetryPolicy extends BackoffPolicy {
  /** What waits with this policy, for readers of this table and of logs. */
  readonly description: string;
}

function policy(description: string, baseMs: number, capMs: number, floorMs: number): NamedRetryPolicy {
  return Object.freeze({ description, baseMs, capMs, floorMs });
}

export const RETRY_POLICIES = Object.freeze({
  /** Fallback of `backoffDelay`/`retry` when a caller names no policy. */
  default: policy('anything that names no policy', 500, 60_000, 100),
  /** One HTTP call to a vendor server, retried within the client's budget (OnGuard, XProtect). */
  vendorRequest: policy('a vendor API call (idempotent requests, within the client budget)', 500, 10_000, 200),
  /**
   * Reconnecting a vendor event stream (collector kit's event-stream lifecycle). Vendors expose
   * base and cap as `reconnect_base`/`reconnect_cap`; the floor is never above the base.
   */
  eventStreamReconnect: policy('reconnecting a vendor event stream', 1_000, 60_000, 250),
  /** A status observation could not be published: the repair poll retries with this until one succeeds. */
  statusRepair: policy('status poll after a failed status publish (collector kit)', 2_000, 60_000, 1_000),
  /** Credentials or licence refused by a vendor: wait long, never lock an account. */
  vendorAuthRefused: policy('after a vendor refused credentials or the licence', 5 * 60_000, 60 * 60_000, 5 * 60_000),
  /** A JetStream publish that got no PubAck (NATS down, stream full). */
  natsPublish: policy('a JetStream publish without PubAck', 200, 5_000, 50),
  /** The durable consume loop could not fetch (NATS down, consumer gone). */
  consumeFetch: policy('fetching from a durable consumer after a failure', 250, 5_000, 100),
  /** A message whose handler failed retryably: nak delay by delivery count. */
  consumeRedelivery: policy('nak delay of a message whose handling failed retryably', 500, 30_000, 250),
  /** Cloud delivery (forwarder); `cloud.retry.base`/`cloud.retry.cap` override base and cap. */
  cloudDelivery: policy('delivering a batch to the cloud', 500, 60_000, 100),
  /** Normalizer: writing the device registry. */
  registryWrite: policy('a device registry write (normalizer)', 100, 2_000, 50),
  /** Normalizer: publishing canonical output. */
  canonicalPublish: policy('publishing canonical messages (normalizer)', 500, 15_000, 200),
} satisfies Record<string, NamedRetryPolicy>);

export type RetryPolicyName = keyof typeof RETRY_POLICIES;

/**
 * A named policy with the base and cap a config overrides. The floor stays the policy's, but
 * never above the base (a base of 100 ms must not wait 250 ms).
 */
export function retryPolicy(name: RetryPolicyName, override: { baseMs?: number; capMs?: number } = {}): BackoffPolicy {
  const p = RETRY_POLICIES[name];
  const baseMs = override.baseMs ?? p.baseMs;
  return { baseMs, capMs: override.capMs ?? p.capMs, floorMs: Math.min(p.floorMs ?? 0, baseMs) };
}

/**
 * Longest wait a `Retry-After` may impose, whoever sent it (cloud or vendor server): a bogus
 * far-future date must not stall delivery or a sync for days. Callers with a configured value pass
 * it to `parseRetryAfter`.
 */
export const RETRY_AFTER_CAP_MS = 60 * 60_000;

/**
 * `Retry-After` (delay-seconds or HTTP-date, RFC 9110 §10.2.3,
 * https://www.rfc-editor.org/rfc/rfc9110#field.retry-after) → ms from `now`, at most `capMs`;
 * undefined when absent or unreadable. A date in the past means "now" (0).
 */
export function parseRetryAfter(value: string | string[] | number | undefined | null, now = Date.now(), capMs = RETRY_AFTER_CAP_MS): number | undefined {
  const v = (Array.isArray(value) ? value[0] : value)?.toString().trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Math.min(capMs, Number(v) * 1000);
  // Every HTTP-date form starts with a day name; Date.parse alone would take "-5" for a year.
  if (!/^[A-Za-z]{3,9},?\s/.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.min(capMs, Math.max(0, at - now));
}
