/**
 * Writes the files derived from the vendor list (scripts/vendor-files.ts):
 * `npx tsx scripts/gen-vendor-files.ts`. test/workspace/vendor-files.spec.ts fails when one is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './services';
import { renderVendorFile, VENDOR_FILES } from './vendor-files';

for (const file of VENDOR_FILES) {
  const path = join(REPO_ROOT, file);
  const current = readFileSync(path, 'utf8');
  const next = renderVendorFile(file, current);
  if (next !== current) writeFileSync(path, next);
  console.log(`${next === current ? 'up to date' : 'wrote'} ${file}`);
}
