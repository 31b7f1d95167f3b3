#!/usr/bin/env node
/**
 * `npm run build`: bundles every process of scripts/services.json (the pipeline services, the
 * operator CLI, the supervisor, the simulator runner) into dist/<name>.js with esbuild — one
 * self-contained file each, with source maps, for the Docker image (and EDGE_USE_DIST=1).
 *
 *   node scripts/build.mjs [--allow-missing] [--outdir DIR] [name...]
 * A pipeline service whose entry file does not exist fails the build unless --allow-missing.
 */
import { build } from 'esbuild';
import { copyFileSync, existsSync, readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(join(root, 'scripts/services.json'), 'utf8'));
const args = process.argv.slice(2);
const allowMissing = args.includes('--allow-missing');
const outIdx = args.indexOf('--outdir');
const outdir = outIdx >= 0 ? args[outIdx + 1] : join(root, 'dist');
const only = args.filter((a, i) => !a.startsWith('--') && (outIdx < 0 || i !== outIdx + 1));

/**
 * Optional peers that Nest and friends `require()` inside try/catch only when a feature is used
 * (other transports, validation pipes, websockets). Left out of the bundle on purpose.
 */
const OPTIONAL_EXTERNALS = [
  '@nestjs/websockets',
  '@nestjs/websockets/*',
  '@nestjs/platform-express',
  '@nestjs/platform-socket.io',
  '@grpc/grpc-js',
  '@grpc/proto-loader',
  'class-transformer',
  'class-transformer/*',
  'class-validator',
  'kafkajs',
  'mqtt',
  'nats',
  'ioredis',
  'amqplib',
  'amqp-connection-manager',
  '@fastify/static',
  '@fastify/view',
  'pino-pretty',
  'utf-8-validate',
  'bufferutil',
  '@opentelemetry/exporter-jaeger',
  '@opentelemetry/winston-transport',
  // The console builds its page with esbuild only in a dev checkout; the image has the bundle.
  'esbuild',
];

const entries = [...manifest.pipeline.map((e) => ({ ...e, pipeline: true })), ...manifest.tools, ...manifest.simulators]
  .filter((e) => only.length === 0 || only.includes(e.name));
const missing = entries.filter((e) => !existsSync(join(root, e.entry)));
for (const m of missing) console.warn(`skip ${m.name}: ${m.entry} does not exist`);
if (missing.some((m) => m.pipeline) && !allowMissing) {
  console.error('a pipeline service is missing; build with --allow-missing to bundle the rest');
  process.exit(1);
}
const present = entries.filter((e) => !missing.includes(e));
if (present.length === 0) {
  console.error('nothing to build');
  process.exit(1);
}

mkdirSync(outdir, { recursive: true });
const started = Date.now();
const result = await build({
  absWorkingDir: root,
  entryPoints: Object.fromEntries(present.map((e) => [e.name, e.entry])),
  outdir,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  keepNames: true,
  // V8 keeps each bundle's source text on the heap for its whole life, and stores it with two
  // bytes per character when a single character is not Latin-1: the comments esbuild keeps
  // (dependencies' "—", "→"…) made every service hold ≈ 13 MB of source. Without whitespace and
  // comments the text is ASCII and about half the bytes (names stay, for stack traces; maps map back).
  minifyWhitespace: true,
  tsconfig: 'tsconfig.json',
  external: OPTIONAL_EXTERNALS,
  logLevel: 'warning',
  metafile: true,
  legalComments: 'none',
});
// Keep the one-byte property (see minifyWhitespace): a character above U+00FF doubles the heap
// every process spends on its source.
for (const f of Object.keys(result.metafile.outputs).filter((x) => x.endsWith('.js'))) {
  const wide = readFileSync(join(root, f), 'utf8').match(/[^\u0000-\u00ff]/);
  if (wide) {
    console.error(`${f}: character U+${wide[0].codePointAt(0).toString(16).toUpperCase()} makes V8 hold the whole source with two bytes per character; escape it`);
    process.exit(1);
  }
}
const sizes = Object.entries(result.metafile.outputs)
  .filter(([f]) => f.endsWith('.js'))
  .map(([f, o]) => `${f} ${(o.bytes / 1024 / 1024).toFixed(1)} MB`);
// The supervisor runs nats-server under this wrapper (plain JavaScript, copied as is).
copyFileSync(join(root, 'scripts/tether.mjs'), join(outdir, 'tether.mjs'));
// Browser bundles (the console's page): dist/<name>-ui/app.js, options from the entry's "ui" file.
for (const e of present.filter((x) => x.ui)) {
  const { $comment: _c, ...ui } = JSON.parse(readFileSync(join(root, e.ui), 'utf8'));
  const r = await build({ ...ui, absWorkingDir: root, outfile: join(outdir, `${e.name}-ui`, 'app.js'), logLevel: 'warning', metafile: true });
  for (const [f, o] of Object.entries(r.metafile.outputs)) sizes.push(`${f} ${(o.bytes / 1024).toFixed(0)} KB`);
}
writeFileSync(join(outdir, 'manifest.json'), JSON.stringify({ built_at: new Date().toISOString(), bundles: present.map((e) => e.name) }, null, 2) + '\n');
console.log(`built ${present.length} bundle(s) in ${((Date.now() - started) / 1000).toFixed(1)}s:\n  ${sizes.join('\n  ')}`);
