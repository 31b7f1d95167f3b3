// Runs a program that cannot notice its parent's death itself (nats-server) so that it still
// ends when the supervisor dies without stopping it (SIGKILL, OOM killer). The supervisor hands
// this wrapper a stdin pipe it never closes; when the pipe ends, the services are draining
// against this NATS, so the wrapper waits EDGE_TETHER_GRACE_MS (the supervisor's stop grace),
// then stops the program with SIGTERM, and SIGKILL 5 s later. The program's output passes
// through the wrapper (so a dead reader never hits the program with SIGPIPE); signals are
// passed on; the exit code is the program's.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  process.stderr.write('usage: node scripts/tether.mjs <command> [args…]\n');
  process.exit(2);
}
const graceMs = Number(process.env.EDGE_TETHER_GRACE_MS || 20_000);
let gone = false;
for (const out of [process.stdout, process.stderr]) out.on('error', () => undefined);
const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
child.stdout.on('data', (b) => gone || process.stdout.write(b));
child.stderr.on('data', (b) => gone || process.stderr.write(b));
child.once('error', (e) => {
  if (!gone) process.stderr.write(`cannot start ${command}: ${e.message}\n`);
  process.exit(127);
});
child.once('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 0)));
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, () => child.kill(sig));

const parentGone = () => {
  if (gone) return;
  gone = true;
  setTimeout(() => {
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
  }, graceMs);
};
process.stdin.on('end', parentGone);
process.stdin.on('close', parentGone);
process.stdin.on('error', parentGone);
process.stdin.resume();
