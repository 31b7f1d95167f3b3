// `npm run test:deploy`: the real container deployment (test/deploy-run). Not part of `npm test`:
// it needs the container engine that `scripts/setup.sh --containers` installs.
import { defineConfig } from 'vitest/config';
import { resolve } from 'node:path';
import { tsconfigAliases } from '../../vitest.aliases.mjs';

const root = resolve(import.meta.dirname, '../..');
const alias = tsconfigAliases();

export default defineConfig({
  root,
  resolve: { alias },
  test: {
    include: ['test/deploy-run/**/*.spec.ts'],
    testTimeout: 900_000,
    hookTimeout: 900_000,
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
    reporters: ['default'],
  },
});
