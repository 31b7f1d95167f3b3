import { jetstreamManager } from '@nats-io/jetstream';
import { startNatsServer, testConfig, type TestNatsServer } from '@edge/platform/testing';
import { connectNats, provision, provisionOptionsFromConfig, Publisher, type NatsConnection } from '@edge/platform';
import { RawEnvelope, STREAMS } from '@edge/contracts';
import { CollectorRunner, RawPublisher } from '@edge/collector-kit';
import type { GenetecSimulator } from '@edge/sim-genetec';
import { GenetecCollector } from '../src';
import { configFor, quietLog } from './helpers';

/** A real nats-server with the streams provisioned, as the services have it. */
export async function startRig(): Promise<{ srv: TestNatsServer; nc: NatsConnection; pub: Publisher; close(): Promise<void> }> {
  const srv = await startNatsServer();
  const nc = await connectNats({ url: srv.url, name: 'genetec-test' }, quietLog);
  await provision(nc, provisionOptionsFromConfig(testConfig(srv.url)));
  return {
    srv,
    nc,
    pub: new Publisher(nc, quietLog),
    async close() {
      await nc.drain();
      await srv.dispose();
    },
  };
}

/** A Genetec collector on the kit's runner, publishing to RAW. */
export async function startCollector(pub: Publisher, sim: GenetecSimulator, systemId: string, over: Record<string, unknown> = {}) {
  const collector = new GenetecCollector(configFor(sim, { id: systemId, reconnect_base: '100ms', reconnect_cap: '1s', reconcile_after_gap: '0s', ...over }), quietLog);
  const raw = new RawPublisher(pub, { vendor: 'genetec', system_id: systemId, site_id: 'site-test', customer_id: 'cust-test' });
  const runner = new CollectorRunner(collector, raw, quietLog, { inventoryIntervalMs: 0, statusIntervalMs: 0, syncOnStart: false, reconcileDebounceMs: 50 });
  await runner.start();
  return { collector, runner };
}

/** RAW envelopes of one subject, in stream order. */
export async function rawEnvelopes(nc: NatsConnection, subject: string): Promise<RawEnvelope[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(STREAMS.raw);
  const out: RawEnvelope[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(STREAMS.raw, { seq }).catch(() => null);
    if (m && m.subject === subject) out.push(RawEnvelope.parse(m.json()));
  }
  return out;
}
