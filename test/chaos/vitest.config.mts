import { defineConfig } from 'vitest/config';
import { resolve } from 'node:path';
import { tsconfigAliases } from '../../vitest.aliases.mjs';

const root = resolve(import.meta.dirname, '../..');
const alias = tsconfigAliases();

/** `npm run test:chaos`: the full chaos suite, one file at a time (each runs the whole product). */
export default defineConfig({
  root,
  resolve: { alias },
  test: {
    include: ['test/chaos/**/*.spec.ts'],
    testTimeout: 15 * 60_000,
    hookTimeout: 3 * 60_000,
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
    reporters: ['default'],
  },
});
