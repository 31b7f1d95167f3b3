import type { Logger } from 'pino';
import { getCi } from '@edge/contracts';
import { sleep } from '@edge/platform';
import { OpenAccessError } from './client/errors';
import { forEachBounded, RateLimiter } from './client/limiter';
import type { OpenAccessClient } from './client/openaccess-client';
import type { HardwareStatusRead } from './raw-schema';

export { decodeHardwareStatus, describeReaderBits, PANEL_BITS, READER_BITS, type DecodedStatus, type StatusKind } from './status-bits';

export interface HardwareStatusOptions {
  concurrency: number;
  maxPerSecond: number;
  updatePanels: boolean;
  updateSettleMs: number;
}

/**
 * The status procedure of §4.1: `UpdateHardwareStatus` on the panels (the comm server polls
 * them), a short settle, then `GetHardwareStatus` per device, read from the `Status` out-
 * parameter. Bounded concurrency and an optional rate cap, because refreshes load the server.
 * A device whose read fails gets `status: null` with the reason; a licence/credential refusal
 * stops the whole pass.
 */
/** The other spelling of a method name (`GetHardwareStatus` ↔ `GETHARDWARESTATUS`). */
function otherSpelling(m: string): string {
  return m === m.toUpperCase() ? m.replace(/^(get|update)hardwarestatus$/i, (_x, v: string) => `${v[0].toUpperCase()}${v.slice(1).toLowerCase()}HardwareStatus`) : m.toUpperCase();
}

/** The server says it has no method of that name (not a failure of the device). */
function unknownMethod(e: unknown): boolean {
  return e instanceof OpenAccessError && e.details.status === 400 && /method/i.test(`${e.details.oaCode ?? ''} ${e.message}`);
}

export class HardwareStatusReader {
  private readonly rate: RateLimiter;
  /** Method names per type as the server spells them (`GET /type`, or learnt from a refusal). */
  private readonly names = new Map<string, string>();

  constructor(
    private readonly client: OpenAccessClient,
    private readonly o: HardwareStatusOptions,
    private readonly log: Logger,
  ) {
    this.rate = new RateLimiter(o.maxPerSecond);
  }

  get concurrency(): number {
    return this.o.concurrency;
  }

  /** The method names `GET /type` listed, per type. */
  learn(type: string, methods: { status: string; update: string }): void {
    this.names.set(`${type}.GetHardwareStatus`, methods.status);
    this.names.set(`${type}.UpdateHardwareStatus`, methods.update);
  }

  /**
   * Calls a status method by the name this server uses; when it answers that no such method
   * exists, the other spelling is tried once and kept for the type.
   */
  private async call(type: string, method: 'GetHardwareStatus' | 'UpdateHardwareStatus', key: Record<string, unknown>, signal?: AbortSignal): Promise<Record<string, unknown>> {
    const slot = `${type}.${method}`;
    const name = this.names.get(slot) ?? method;
    try {
      return await this.client.executeMethod(type, name, key, signal);
    } catch (e) {
      if (!unknownMethod(e)) throw e;
      const other = otherSpelling(name);
      const out = await this.client.executeMethod(type, other, key, signal);
      this.names.set(slot, other);
      this.log.info({ type, method: other }, 'the server spells this method differently; using its spelling');
      return out;
    }
  }

  /** `UpdateHardwareStatus` on each panel, then the settle delay. Failures are logged, not fatal. */
  async updatePanels(panelKeys: Array<Record<string, unknown>>, signal?: AbortSignal): Promise<{ updated: number; failed: number }> {
    if (!this.o.updatePanels || panelKeys.length === 0) return { updated: 0, failed: 0 };
    let updated = 0;
    let failed = 0;
    await forEachBounded(
      panelKeys,
      this.o.concurrency,
      async (key) => {
        await this.rate.take(signal);
        try {
          await this.call('Lnl_Panel', 'UpdateHardwareStatus', key, signal);
          updated++;
        } catch (e) {
          if (e instanceof OpenAccessError && e.kind === 'auth') throw e;
          failed++;
          this.log.debug({ panel: key, err: (e as Error).message }, 'UpdateHardwareStatus failed');
        }
      },
      signal,
    );
    if (failed > 0) this.log.warn({ failed, updated }, 'UpdateHardwareStatus failed on some panels; their status may be stale');
    if (this.o.updateSettleMs > 0) await sleep(this.o.updateSettleMs, signal);
    return { updated, failed };
  }

  /** One `GetHardwareStatus`; never throws except for auth refusals and aborts. */
  async read(typeName: string, key: Record<string, unknown>, signal?: AbortSignal, outParam = 'Status'): Promise<HardwareStatusRead> {
    await this.rate.take(signal);
    try {
      const out = await this.call(typeName, 'GetHardwareStatus', key, signal);
      const v = getCi(out, outParam) ?? getCi(out, 'Status');
      const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
      if (!Number.isInteger(n)) return { status: null, read_at: new Date().toISOString(), error: `no integer ${outParam} out-parameter in the answer` };
      return { status: n >>> 0, read_at: new Date().toISOString(), error: null };
    } catch (e) {
      if (e instanceof OpenAccessError && e.kind === 'auth') throw e;
      if (signal?.aborted) throw e;
      return { status: null, read_at: new Date().toISOString(), error: (e as Error).message };
    }
  }

  /** Reads many devices with bounded concurrency; results in input order. */
  async readAll<T>(items: T[], target: (item: T) => { type: string; key: Record<string, unknown> | null; outParam?: string } | null, signal?: AbortSignal): Promise<Array<HardwareStatusRead | null>> {
    const out: Array<HardwareStatusRead | null> = new Array(items.length).fill(null);
    await forEachBounded(
      items.map((item, i) => ({ item, i })),
      this.o.concurrency,
      async ({ item, i }) => {
        const t = target(item);
        if (!t || !t.key) return;
        out[i] = await this.read(t.type, t.key, signal, t.outParam);
      },
      signal,
    );
    return out;
  }
}
