import { defineConfig } from 'vitest/config';
import { tsconfigAliases } from './vitest.aliases.mjs';

const alias = tsconfigAliases();

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['libs/**/*.spec.ts', 'services/**/*.spec.ts', 'test/**/*.spec.ts'],
    exclude: ['**/node_modules/**', 'test/chaos/**', 'test/deploy-run/**', 'bench/**'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    reporters: ['default'],
  },
});
