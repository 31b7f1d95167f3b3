import { defineConfig } from 'vitest/config';
import { resolve } from 'node:path';
import base from '../../tsconfig.base.json' with { type: 'json' };

const root = resolve(import.meta.dirname, '../..');
// Exact-match aliases from tsconfig paths, as in the root config.
const alias = Object.entries(base.compilerOptions.paths).map(([k, [v]]) => ({
  find: new RegExp(`^${k.replace(/[/]/g, '\\/')}$`),
  replacement: resolve(root, v),
}));

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
