import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startCloudSimulator } from './server';

/**
 * `npx tsx services/simulators/cloud/src/main.ts [--port 8088] [--host 127.0.0.1] [--token T]
 *  [--tls-cert cert.pem --tls-key key.pem] [--retain full|ids]`
 * The token defaults to $CLOUD_TOKEN, else `sim-token`.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: process.env.CLOUD_SIM_PORT ?? '8088' },
      host: { type: 'string', default: '127.0.0.1' },
      token: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      retain: { type: 'string', default: 'full' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write('usage: cloud simulator [--port 8088] [--host 127.0.0.1] [--token T] [--tls-cert F --tls-key F] [--retain full|ids]\n');
    return;
  }
  if (Boolean(values['tls-cert']) !== Boolean(values['tls-key'])) throw new Error('--tls-cert and --tls-key go together');
  if (values.retain !== 'full' && values.retain !== 'ids') throw new Error('--retain is full or ids');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port ${values.port} is not a port`);
  const sim = await startCloudSimulator({
    port,
    host: values.host,
    token: values.token ?? process.env.CLOUD_TOKEN ?? 'sim-token',
    tls: values['tls-cert'] ? { cert: readFileSync(values['tls-cert']), key: readFileSync(values['tls-key']!) } : undefined,
    retain: values.retain,
    log: (line) => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), service: 'sim-cloud', msg: line })}\n`),
  });
  const stop = () => void sim.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`cloud simulator failed: ${String((e as Error)?.message ?? e)}\n`);
  process.exit(1);
});
