/**
 * Writes the generated JSON Schemas and the cloud OpenAPI document next to the contracts.
 * `npx tsx libs/contracts/scripts/generate.ts` — a test fails when the committed files are stale.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatedFiles } from '../src/generated-files';

const root = join(__dirname, '..', 'generated');
for (const [rel, text] of Object.entries(generatedFiles())) {
  const file = join(root, rel);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, text);
  console.log(`wrote ${join('libs/contracts/generated', rel)}`);
}
