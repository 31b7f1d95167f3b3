/**
 * Writes docs/CONFIG.md from the config schema: `npx tsx scripts/gen-config-docs.ts`.
 * test/deploy/config-reference.spec.ts fails when the committed file is stale.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConfigReference } from './config-reference';
import { REPO_ROOT } from './services';

const file = join(REPO_ROOT, 'docs', 'CONFIG.md');
mkdirSync(join(REPO_ROOT, 'docs'), { recursive: true });
writeFileSync(file, renderConfigReference());
console.log('wrote docs/CONFIG.md');
