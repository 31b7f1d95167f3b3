import type { Logger } from 'pino';
import { TypeIsolation, type FailedTypeSink } from '@edge/collector-kit';
import { OpenAccessError } from './client/errors';
import type { OpenAccessClient } from './client/openaccess-client';
import { pagedInstances, type PageOptions } from './inventory';
import type { PropertyValueMap } from './raw-schema';

/**
 * Per-type failure handling of an inventory walk. Real servers answer 403 for a type outside the
 * account's permission or segment (Genetec OnGuard plugin guide: segmented systems limit what the
 * account sees), 5xx when the service behind one type is down, 400 for an `order_by` they reject
 * (the parameter is "the field(s) to use when sorting", OpenAccess 7.5 swagger, tractionguest/
 * lenel-sdk swagger.yaml `parameters.OrderBy`). One such type must not sink the whole sync: it is
 * retried within the client's budget, then reported failed and the walk goes on (a partial sync,
 * the collector kit's `TypeIsolation`).
 */

/** Errors that end the whole sync: the licence or the session is refused, the client closed, or the walk was aborted. */
export function endsTheSync(e: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted) return true;
  if (!(e instanceof OpenAccessError)) return true;
  if (e.details.licence) return true;
  return ['onguard_session_rejected', 'onguard_login_refused', 'onguard_closed', 'onguard_aborted'].includes(e.code);
}

/** Short reason of a type failure, for the log, `/status` and the heartbeat. */
export function failureReason(e: unknown): string {
  const status = e instanceof OpenAccessError ? e.details.status : undefined;
  const msg = e instanceof Error ? e.message : String(e);
  return status ? `HTTP ${status}: ${msg}` : msg;
}

/** Per-type isolation of one OnGuard walk: the kit's helper with OnGuard's "ends the sync" rule. */
export function typeIsolation(log: Logger, sink: FailedTypeSink | null): TypeIsolation {
  return new TypeIsolation({ log, sink, endsTheSync, reason: failureReason });
}

/** `order_by` values to try for a type, best first: every key, the first key, no ordering. */
export function orderings(keys: string[]): Array<string | undefined> {
  const out: Array<string | undefined> = [];
  if (keys.length > 1) out.push(keys.join(','));
  if (keys.length > 0) out.push(keys[0]);
  out.push(undefined);
  return out;
}

function refusedOrdering(e: unknown): boolean {
  return e instanceof OpenAccessError && e.details.status === 400;
}

/**
 * `pagedInstances` with the ordering fallback: a 400 on the first page with an `order_by` is
 * retried with the next candidate (a single key, then none; rows that shift between pages are
 * still de-duplicated by key). `remember` keeps the accepted ordering for the next sync.
 */
export async function* pagedInstancesOrdered(
  client: OpenAccessClient,
  typeName: string,
  keyOf: (pvm: PropertyValueMap) => string | null,
  o: PageOptions & { orderings: Array<string | undefined>; remember(orderBy: string | undefined): void },
): AsyncGenerator<PropertyValueMap[]> {
  for (let i = 0; i < o.orderings.length; i++) {
    const orderBy = o.orderings[i];
    let yielded = false;
    try {
      for await (const page of pagedInstances(client, typeName, keyOf, { ...o, orderBy })) {
        if (!yielded) o.remember(orderBy);
        yielded = true;
        yield page;
      }
      if (!yielded) o.remember(orderBy);
      return;
    } catch (e) {
      if (yielded || orderBy === undefined || i === o.orderings.length - 1 || !refusedOrdering(e)) throw e;
      const next = o.orderings[i + 1];
      o.log.warn(
        { type: typeName, order_by: orderBy, next: next ?? null, err: (e as Error).message },
        next ? 'the server refused this order_by; listing with a single key' : 'the server refused every order_by; listing without ordering (rows that shift between pages are de-duplicated by key)',
      );
    }
  }
}
