import { startGenetecSimulator } from './server';

/** Standalone simulator: `GENETEC_SIM_PORT`, `GENETEC_SIM_SIZE` (entities). Prints its URL and credentials' user. */
async function main(): Promise<void> {
  const sim = await startGenetecSimulator({
    host: process.env.GENETEC_SIM_HOST ?? '127.0.0.1',
    port: Number(process.env.GENETEC_SIM_PORT ?? 4590),
    ...(process.env.GENETEC_SIM_SIZE ? { size: Number(process.env.GENETEC_SIM_SIZE) } : {}),
    ...(process.env.GENETEC_SIM_PASSWORD ? { password: process.env.GENETEC_SIM_PASSWORD } : {}),
    ...(process.env.GENETEC_SIM_APP_ID ? { applicationId: process.env.GENETEC_SIM_APP_ID } : {}),
  });
  process.stdout.write(`${JSON.stringify({ simulator: 'genetec', url: sim.url, username: sim.credentials.username, entities: sim.model.size })}\n`);
  const stop = () => void sim.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main();
