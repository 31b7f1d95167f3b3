import type { Logger } from 'pino';
import { z } from 'zod';
import { getCi } from '@edge/contracts';
import { OpenAccessError } from './client/errors';
import type { OpenAccessClient } from './client/openaccess-client';

const Paged = z.looseObject({ item_list: z.array(z.unknown()).optional(), total_pages: z.number().int().optional() });

const PAGE = 100;
/** More events than this in one gap: reading them costs more than the panel pass; use that instead. */
const MAX_PAGES = 20;

function serialOf(ev: Record<string, unknown>): number | null {
  const v = getCi(ev, 'serial_number') ?? getCi(ev, 'SerialNumber');
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : NaN;
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * The events of an event-bridge gap, from `GET /logged_events` (7.5 swagger: `filter` required,
 * paged, `order_by`; tractionguest/lenel-sdk swagger.yaml) since the last serial number seen.
 * The filter grammar on `serial_number` is not public [I]: a server that refuses it is marked
 * unsupported and the caller falls back to the panels' status.
 */
export class GapRecovery {
  private serial: number | null = null;
  /** The last serial seen before the current gap began (live events after it move `serial` on). */
  private gapFrom: number | null = null;
  private supported: boolean | null = null;

  constructor(
    private readonly client: OpenAccessClient,
    private readonly log: Logger,
  ) {}

  /** A live event: its serial moves the mark. */
  seen(ev: Record<string, unknown>): void {
    this.seenSerial(serialOf(ev));
  }

  seenSerial(s: number | string | null): void {
    const n = typeof s === 'string' && /^\d+$/.test(s) ? Number(s) : typeof s === 'number' ? s : null;
    if (n !== null && Number.isSafeInteger(n) && (this.serial === null || n > this.serial)) this.serial = n;
  }

  /**
   * A (re)connect begins: everything after the last event seen is the gap, whatever live events
   * arrive before the reconcile reads it. Gaps not read yet are merged.
   */
  gapStarts(): void {
    if (this.serial !== null) this.gapFrom = this.gapFrom === null ? this.serial : Math.min(this.gapFrom, this.serial);
  }

  get usable(): boolean {
    return this.supported !== false && (this.gapFrom ?? this.serial) !== null;
  }

  state(): { last_serial: number | null; logged_events: 'unknown' | 'supported' | 'unsupported' } {
    return { last_serial: this.serial, logged_events: this.supported === null ? 'unknown' : this.supported ? 'supported' : 'unsupported' };
  }

  private refused(e: unknown): boolean {
    if (e instanceof OpenAccessError && (e.details.status === 400 || e.details.status === 404)) {
      this.supported = false;
      this.log.warn({ err: e.message }, '/logged_events cannot be filtered by serial_number here; gaps are recovered from the panels\' status');
      return true;
    }
    return false;
  }

  /** Once subscribed and before any live event: the newest serial, so the next gap has a start. */
  async mark(signal?: AbortSignal): Promise<void> {
    if (this.serial !== null || this.supported === false) return;
    try {
      const r = await this.client.request({
        method: 'GET',
        path: '/logged_events',
        query: { filter: 'serial_number > 0', order_by: 'serial_number desc', page_number: 1, page_size: 1 },
        schema: Paged,
        signal,
      });
      this.supported = true;
      const first = r.item_list?.[0];
      const newest = first && typeof first === 'object' ? (serialOf(first as Record<string, unknown>) ?? 0) : 0;
      // Live events may already have moved the mark: the gap starts at the older of the two.
      this.gapFrom = this.gapFrom === null ? newest : Math.min(this.gapFrom, newest);
      this.seenSerial(newest);
    } catch (e) {
      if (!this.refused(e)) this.log.info({ err: (e as Error).message }, 'could not read the newest logged event; the next gap is recovered from the panels\' status');
    }
  }

  /**
   * The logged events after the mark, oldest first, and the mark moved past them; null when the
   * server cannot answer (unsupported, or more events than worth reading).
   */
  async since(signal?: AbortSignal): Promise<Array<Record<string, unknown>> | null> {
    if (!this.usable) return null;
    const from = (this.gapFrom ?? this.serial)!;
    const out: Array<Record<string, unknown>> = [];
    try {
      for (let page = 1; ; page++) {
        if (page > MAX_PAGES) {
          this.log.info({ from }, 'more logged events in the gap than worth reading; recovering from the panels\' status');
          return null;
        }
        const r = await this.client.request({
          method: 'GET',
          path: '/logged_events',
          query: { filter: `serial_number > ${from}`, order_by: 'serial_number', page_number: page, page_size: PAGE },
          schema: Paged,
          signal,
        });
        this.supported = true;
        for (const x of r.item_list ?? []) if (x && typeof x === 'object') out.push(x as Record<string, unknown>);
        if ((r.item_list ?? []).length < PAGE || page >= (r.total_pages ?? page)) break;
      }
    } catch (e) {
      if (this.refused(e)) return null;
      throw e;
    }
    for (const ev of out) this.seen(ev);
    this.gapFrom = null;
    return out;
  }
}
