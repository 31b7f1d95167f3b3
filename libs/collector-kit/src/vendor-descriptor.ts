import type { Logger } from 'pino';
import type { ZodType } from 'zod';
import type { VendorMapper } from '@edge/contracts';
import type { SystemConfig, VendorRegistration } from '@edge/platform';
import type { VendorCollector } from './collector';
import type { VendorSurvey } from './survey/context';

/**
 * The one door a vendor comes in by (like an OpenTelemetry Collector component's `NewFactory()`):
 * everything the product needs to know about a vendor, exported by its lib as one value and named
 * once in the vendor list (`@edge/vendors`). Whatever enumerates vendors — the config schema, the
 * normalizer's mappers, the process list, compose, the config reference, `edge config check` and
 * `edge survey`, the demo, the chaos suite — reads that list.
 *
 * Light to import: data, the config schema and the pure mapper load with it; the collector and the
 * survey load only when asked for (the normalizer imports every descriptor for its mappers).
 */
export interface VendorDescriptor extends VendorRegistration {
  /** Vendor id: `vendor:` in the config, the first part of canonical ids, subjects `raw.<id>.…`. */
  readonly id: string;
  /** Product name as an operator knows it, e.g. "Lenel OnGuard (OpenAccess)". */
  readonly title: string;
  /** Short name for progress lines, e.g. "OnGuard". */
  readonly label: string;
  /** The collector service: process, compose service and bundle name (`collector-<id>`), and its default status port. */
  readonly service: { readonly name: string; readonly port: number };
  readonly config: VendorConfigEntry;
  /** The pure raw → canonical mapper (the normalizer registers it). */
  readonly mapper: VendorMapper<unknown, unknown>;
  /** Builds the collector of one configured system (loaded on demand: only the collector service needs it). */
  collector(): Promise<(system: SystemConfig, log: Logger) => VendorCollector>;
  /** `edge config check`: URLs that answer without a session, enough to prove host, port, TLS and path. */
  probes(system: SystemConfig): ConnectivityProbe[];
  /** `edge survey`: the vendor's read-only site survey (loaded on demand). */
  survey(): Promise<VendorSurvey>;
  readonly simulator: SimulatorEntry;
  /** Deployment: which `${VAR}`s of a system's config are secrets, and the compose secret file each comes from. */
  readonly deploy: { readonly secrets: Readonly<Record<string, string>> };
}

export interface VendorConfigEntry {
  /** The vendor's settings beside a system's common fields, with `.describe()` texts (docs/CONFIG.md is generated from it). */
  readonly extras: ZodType;
  /** Validates a system's vendor settings; throws a permanent config error naming system and field. */
  parse(system: SystemConfig): unknown;
  /** A paragraph for the config reference (e.g. the load a setting puts on the vendor's server). */
  readonly note?: string;
}

export interface ConnectivityProbe {
  url: string;
  headers: Record<string, string>;
}

/**
 * The vendor's simulator, for the demo, the chaos suite, the e2e tests and compose's demo profile.
 * The vendor lib cannot import its simulator (the simulator imports the lib), so the live part is
 * named by path: `harness` is a module exporting `simulator: SimulatorHarness`.
 */
export interface SimulatorEntry {
  /** Process, bundle and compose service name (`sim-<id>`). */
  readonly name: string;
  /** Entry of the standalone process (`--host`, `--port` and `args`). */
  readonly entry: string;
  /** Module (repo-relative .ts path) exporting `simulator: SimulatorHarness`. */
  readonly harness: string;
  /** Default port (the demo's and compose's). */
  readonly port: number;
  /** Extra arguments of the process in compose (`{name}` is replaced by the compose host name). */
  readonly args?: readonly string[];
  /** A GET that answers 200 once the simulator serves (compose healthcheck). */
  readonly readyPath: string;
  /** Its harness can make the event stream go silent (`faults.silenceEvents`): the chaos suite's 40 s silence runs for it. */
  readonly silentStream?: boolean;
  /**
   * Its system in config/demo.yaml (compose's demo profile): the id, and the fields beside
   * `base_url` (`${DEMO_<ID>_URL:-…}`), e.g. the simulator's demo account as `${VAR:-default}`.
   */
  readonly demo: { readonly system_id: string; readonly fields: Readonly<Record<string, string>> };
}

/** Starts a simulator in this process. `profile` picks its site: small and quick (demo) or the chaos suite's. */
export interface SimulatorHarness {
  start(o: { port?: number; profile: 'demo' | 'chaos' | 'test' }): Promise<RunningSimulator>;
}

/** A device of a simulator's truth: `key` is the native key in its canonical id `<vendor>:<system>:<key>`. */
export interface SimulatedDevice {
  key: string;
  name: string;
  expected_status: string;
}

/** A status change the simulator made, in the order it made them (the chaos ledger). */
export interface SimulatedChange {
  seq: number;
  key: string;
  status: string;
}

export interface RunningSimulator {
  readonly url: string;
  /** A config system for it, minus `id`: its fields with secrets as `${<prefix>_<NAME>}` references, and their values. */
  system(envPrefix: string): { fields: Record<string, unknown>; env: Record<string, string> };
  /** Every device of the simulated site. */
  devices(): SimulatedDevice[];
  /** Leaf devices whose state the demo and the chaos suite may change (readers, cameras). */
  switchable(): SimulatedDevice[];
  setOnline(key: string, online: boolean): void;
  /** Status changes made so far, after `afterSeq`. */
  ledger(afterSeq?: number): SimulatedChange[];
  /** Faults the chaos suite injects, each in the vendor's own way. */
  readonly faults: SimulatorFaults;
  /** The simulator object itself, for tests of that vendor's own behaviour. */
  readonly native: unknown;
  close(): Promise<void>;
}

export interface SimulatorFaults {
  /** Close the event stream(s) and keep them from resuming for a moment. */
  dropEvents(): void;
  /** The vendor API restarts: sessions gone, 503 while starting, event connections dropped. */
  restart(): void;
  /** End every fault. */
  clear(): void;
  /** The event stream goes silent: no close, no data, no keep-alive (optional; `clear` ends it). */
  silenceEvents?(): void;
  /** Make the next inventory sync slow enough to interrupt (optional). */
  slowNextSync?(): void;
}

/** Checks a descriptor's invariants (names follow the vendor id) and returns it. */
export function defineVendor(d: VendorDescriptor): VendorDescriptor {
  const problems = [
    d.service.name !== `collector-${d.id}` && `service.name must be collector-${d.id}`,
    d.simulator.name !== `sim-${d.id}` && `simulator.name must be sim-${d.id}`,
    d.mapper.vendor !== d.id && `mapper.vendor is "${d.mapper.vendor}"`,
    !/^[a-z][a-z0-9]*$/.test(d.id) && 'id must be lowercase letters and digits',
  ].filter(Boolean);
  if (problems.length > 0) throw new Error(`vendor "${d.id}": ${problems.join('; ')}`);
  return d;
}
