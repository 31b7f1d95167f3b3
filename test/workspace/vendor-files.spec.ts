/**
 * The vendor list (`@edge/vendors`) is the one place a vendor is named outside its own folders:
 * every file that enumerates vendors is derived from it and must be what the list generates now
 * (`npx tsx scripts/gen-vendor-files.ts`, `npx tsx scripts/gen-config-docs.ts`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { createMapperRegistry } from '../../services/normalizer/src/mappers';
import { edgeConfigSchema, httpPortFor } from '@edge/platform';
import { testConfig } from '@edge/platform/testing';
import { VENDORS } from '@edge/vendors';
import { renderConfigReference } from '../../scripts/config-reference';
import { PIPELINE_SERVICES, REPO_ROOT, SIMULATOR_BUNDLES } from '../../scripts/services';
import { fillRegions, renderVendorFile, VENDOR_FILES } from '../../scripts/vendor-files';

const read = (f: string) => readFileSync(join(REPO_ROOT, f), 'utf8');

describe('files derived from the vendor list', () => {
  it.each(VENDOR_FILES)('%s is what the list generates (run `npx tsx scripts/gen-vendor-files.ts`)', (file) => {
    const committed = read(file);
    expect(committed).toBe(renderVendorFile(file, committed));
  });

  it('docs/CONFIG.md is what the list and the schema generate', () => {
    expect(read('docs/CONFIG.md')).toBe(renderConfigReference());
  });

  it('the regeneration is live: a vendor dropped from a derived part is put back', () => {
    const compose = read('docker-compose.yml');
    const v = VENDORS[0];
    const stale = fillRegions(compose, 'docker-compose.yml', { collectors: [] });
    expect(stale).not.toContain(`  ${v.service.name}:\n`);
    expect(renderVendorFile('docker-compose.yml', stale)).toBe(compose);
  });

  it('every vendor of the list has its collector, simulator, compose services, demo system, mapper, config name and port', () => {
    const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, { command?: string[] }> };
    const demo = parse(read('config/demo.yaml')) as { systems: Array<{ vendor: string }> };
    const mappers = createMapperRegistry();
    const cfg = testConfig('nats://127.0.0.1:4222');
    const withList = edgeConfigSchema(VENDORS).parse({ ...cfg, systems: [], http: { ...cfg.http, ports: {} } });
    for (const v of VENDORS) {
      expect(PIPELINE_SERVICES.find((s) => s.name === v.service.name)?.vendor, v.id).toBe(v.id);
      expect(SIMULATOR_BUNDLES.map((s) => s.name), v.id).toContain(v.simulator.name);
      expect(compose.services[v.service.name]?.command, v.id).toEqual([v.service.name]);
      expect(compose.services[v.simulator.name]?.command?.[0], v.id).toBe(v.simulator.name);
      expect(demo.systems.map((s) => s.vendor), v.id).toContain(v.id);
      expect(mappers.get(v.id)?.vendor, v.id).toBe(v.id);
      expect(httpPortFor(withList, v.service.name), v.id).toBe(v.service.port);
    }
    // Ports are distinct: two collectors on one box cannot share one.
    expect(new Set(VENDORS.map((v) => v.service.port)).size).toBe(VENDORS.length);
    expect(new Set(VENDORS.map((v) => v.simulator.port)).size).toBe(VENDORS.length);
  });
});
