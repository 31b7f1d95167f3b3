import { runCli } from './cli';

runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`error: ${String((e as Error)?.message ?? e)}\n`);
    process.exit(1);
  },
);
