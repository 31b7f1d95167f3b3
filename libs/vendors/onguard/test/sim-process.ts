import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';

export interface SimProcess {
  url: string;
  devices: number;
  /** Control API root (`<url>/_sim`). */
  control: string;
  stop(): Promise<void>;
}

const MAIN = resolve(__dirname, '../../../../services/simulators/onguard/src/main.ts');

/**
 * The simulator in its own process (its memory and CPU are not the collector's): started with
 * the CLI, which prints one JSON line with its URL.
 */
export async function startSimProcess(args: string[]): Promise<SimProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', MAIN, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((res, rej) => {
    const rl = createInterface({ input: child.stdout! });
    const t = setTimeout(() => rej(new Error('simulator did not start within 60 s')), 60_000);
    rl.once('line', (l) => {
      clearTimeout(t);
      rl.close();
      res(l);
    });
    child.once('exit', (code) => rej(new Error(`simulator exited (${code})`)));
  });
  const info = JSON.parse(line) as { url: string; devices: number };
  return {
    url: info.url,
    devices: info.devices,
    control: `${info.url}/_sim`,
    stop: () =>
      new Promise<void>((r) => {
        if (child.exitCode !== null) return r();
        child.once('exit', () => r());
        child.kill('SIGTERM');
      }),
  };
}
