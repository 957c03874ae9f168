import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { MachineRegistry } from '../../services/registry/index.js';
import { fmt, progress, runPublisher, sleep } from '../lib/common.js';
import { provisionBenchMachines } from '../lib/provision.js';
import { type ServerProcess, startMosquitto, startSawbrainProcess } from '../lib/servers.js';

/**
 * SawBrain's broker (Aedes with authentication, ACL, packet guard) against Mosquitto with an
 * equivalent password file and ACL, under the same publisher load: K machines publishing
 * telemetry as fast as they can (QoS 0, then QoS 1) to one fleet subscriber. The figure is
 * messages per second delivered to the subscriber.
 */
export interface BrokerRun {
  broker: 'sawbrain' | 'mosquitto';
  qos: 0 | 1;
  published: number;
  delivered: number;
  msgPerSec: number;
}

async function measure(
  server: ServerProcess,
  broker: BrokerRun['broker'],
  qos: 0 | 1,
  opts: {
    machines: { id: string; tenant: string; password: string }[];
    subscriber: { username: string; password: string };
    durationMs: number;
    t0: number;
  },
): Promise<BrokerRun> {
  const sub = await mqtt.connectAsync(server.url, {
    ...opts.subscriber,
    clientId: `${opts.subscriber.username}-${qos}`,
    reconnectPeriod: 0,
  });
  let delivered = 0;
  let first = 0;
  let last = 0;
  sub.on('message', () => {
    delivered++;
    last = Date.now();
    if (!first) first = last;
  });
  await sub.subscribeAsync('sawbrain/v1/+/+/telemetry', { qos });
  const r = await runPublisher({
    url: server.url,
    machines: opts.machines,
    mode: 'closed',
    qos,
    durationMs: opts.durationMs,
    samplesPerMessage: 10,
    t0: opts.t0,
    inflight: 8,
  });
  // let the tail arrive
  let seen = -1;
  while (seen !== delivered) {
    seen = delivered;
    await sleep(300);
  }
  await sub.endAsync();
  const seconds = Math.max(1e-3, (last - first) / 1000);
  const run: BrokerRun = { broker, qos, published: r.published, delivered, msgPerSec: delivered / seconds };
  progress(
    'broker',
    `${broker} QoS ${qos}: ${fmt(run.msgPerSec)} msg/s delivered (${fmt(delivered)}/${fmt(r.published)})`,
  );
  return run;
}

export async function runBroker(opts: { machines: number; durationMs: number; t0: number }) {
  const dir = mkdtempSync(join(tmpdir(), 'sawbrain-bench-broker-'));
  const machines = await provisionBenchMachines(dir, opts.machines);
  const registry = MachineRegistry.open(dir, { scrypt: { N: 1024, r: 8, p: 1 } });
  const { username, password } = await registry.addService('bench-sub', ['ingest']);
  registry.close();
  const subscriber = { username, password };
  const runs: BrokerRun[] = [];
  try {
    for (const name of ['sawbrain', 'mosquitto'] as const) {
      const server =
        name === 'sawbrain'
          ? await startSawbrainProcess(dir, 'broker', subscriber)
          : await startMosquitto(dir, machines, subscriber);
      try {
        for (const qos of [0, 1] as const)
          runs.push(
            await measure(server, name, qos, {
              machines,
              subscriber,
              durationMs: opts.durationMs,
              t0: opts.t0,
            }),
          );
      } finally {
        await server.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const ratio = (qos: 0 | 1) =>
    runs.find((r) => r.broker === 'sawbrain' && r.qos === qos)!.msgPerSec /
    runs.find((r) => r.broker === 'mosquitto' && r.qos === qos)!.msgPerSec;
  return { machines: opts.machines, runs, ratioQos0: ratio(0), ratioQos1: ratio(1) };
}
