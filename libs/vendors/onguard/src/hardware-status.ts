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
export class HardwareStatusReader {
  private readonly rate: RateLimiter;

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
          await this.client.executeMethod('Lnl_Panel', 'UpdateHardwareStatus', key, signal);
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
      const out = await this.client.executeMethod(typeName, 'GetHardwareStatus', key, signal);
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
