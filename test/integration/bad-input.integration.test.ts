import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicFor } from '../../services/contracts/index.js';
import { telemetryMessage } from '../helpers/messages.js';
import { waitFor } from '../helpers/ports.js';
import { bootSystem, provisionMachine, settle, type TestSystem } from '../helpers/system.js';

/**
 * Bad input of every kind, published in the same run as a healthy machine: each ends in a dead
 * letter or a disconnect with a counter, broker and ingest keep running, and the healthy
 * publisher loses nothing.
 */
const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);

async function connect(url: string, creds: { machineId: string; password: string }): Promise<MqttClient> {
  return mqtt.connectAsync(url, {
    clientId: creds.machineId,
    username: creds.machineId,
    password: creds.password,
    reconnectPeriod: 0,
  });
}

async function metric(t: TestSystem, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await t.sys.metrics.getSingleMetric(name)?.get();
  const match = m?.values.filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
  return match?.reduce((s, v) => s + v.value, 0) ?? 0;
}

describe('bad input never costs good data', () => {
  let t: TestSystem;
  beforeAll(async () => {
    t = await bootSystem({ mqtt: { maxPacketBytes: 64 * 1024 } });
  });
  afterAll(async () => t?.close());

  it('dead-letters bad payloads, cuts off oversize packets and deep topics, and stores all the healthy data', async () => {
    const healthy = await provisionMachine(t.sys, 'CL-GOOD-01');
    const sloppy = await provisionMachine(t.sys, 'CL-BAD-01');
    const huge = await provisionMachine(t.sys, 'CL-HUGE-01');
    const good = await connect(t.mqttUrl, healthy);
    const bad = await connect(t.mqttUrl, sloppy);
    const goodTopic = topicFor(healthy.tenant, healthy.machineId, 'telemetry');
    const badTopic = topicFor(sloppy.tenant, sloppy.machineId, 'telemetry');

    const valid = telemetryMessage({ bootId: 'b', seq: 0, t0: T0, n: 3 });
    const badPayloads: [string, string][] = [
      ['not-json', '{"v":1,"ts":'],
      ['not-json', 'hello saw'],
      ['schema', JSON.stringify({ ...valid, v: 2 })],
      ['schema', JSON.stringify({ ...valid, units: { bladeSpeed: 'ft/min' } })],
      ['schema', JSON.stringify({ ...valid, samples: [{ ...valid.samples[0], bladeSpeed: '60' }] })],
      ['schema', JSON.stringify({ ...valid, samples: [{ ...valid.samples[0], power: 4100 }] })], // W sent as kW
      ['schema', JSON.stringify({ ...valid, ts: Math.floor(valid.ts / 1000) })], // seconds
      ['schema', JSON.stringify({ ...valid, samples: [] })],
      ['schema', JSON.stringify({ ...valid, seq: 'one' })],
    ];

    // The healthy machine streams 100 messages of 20 samples while the bad input arrives.
    const healthyDone = (async () => {
      for (let seq = 0; seq < 100; seq++) {
        await good.publishAsync(
          goodTopic,
          JSON.stringify(telemetryMessage({ bootId: 'g', seq, t0: T0, n: 20 })),
          { qos: 1 },
        );
      }
    })();

    for (const [, payload] of badPayloads) await bad.publishAsync(badTopic, payload, { qos: 1 });
    // a valid message from the sloppy machine right after its bad ones is still stored
    await bad.publishAsync(
      badTopic,
      JSON.stringify(telemetryMessage({ bootId: 'b', seq: 50, t0: T0 + 1e6, n: 4 })),
      { qos: 1 },
    );

    // an oversize packet: the broker closes that connection before buffering it
    const hugeClient = await connect(t.mqttUrl, huge);
    const closed = new Promise<void>((resolve) => hugeClient.once('close', () => resolve()));
    hugeClient.publish(topicFor(huge.tenant, huge.machineId, 'telemetry'), Buffer.alloc(200 * 1024, 0x20), {
      qos: 0,
    });
    await closed;
    hugeClient.end(true);

    // a 1,000-level topic: refused, the broker stays up
    const deep = await connect(t.mqttUrl, { machineId: 'CL-HUGE-01', password: huge.password });
    const deepClosed = new Promise<void>((resolve) => deep.once('close', () => resolve()));
    deep.publish(Array.from({ length: 1000 }, (_, i) => `l${i}`).join('/'), '{}', { qos: 1 });
    await Promise.race([deepClosed, new Promise((r) => setTimeout(r, 2000))]);
    deep.end(true);

    await healthyDone;
    await settle(t.sys, 110); // 100 healthy + 9 bad + 1 valid from the sloppy machine

    const count = async (machine: string) => {
      const rows = await t.sys.store!.query({
        db: 'operations',
        measurement: 'telemetry',
        from: 0,
        to: Date.UTC(2100, 0, 1),
        where: { machine },
        fields: ['bladeSpeed'],
        fn: 'count',
      });
      return rows[0]?.values.bladeSpeed ?? 0;
    };
    expect(await count(healthy.machineId)).toBe(2000);
    expect(await count(sloppy.machineId)).toBe(4);

    const dead = t.sys.ingest!.deadLetters(100);
    expect(dead).toHaveLength(badPayloads.length);
    expect(dead.filter((d) => d.reason === 'not-json')).toHaveLength(2);
    expect(dead.filter((d) => d.reason === 'schema')).toHaveLength(7);
    expect(dead.some((d) => d.message.includes('bladeSpeed'))).toBe(true);
    expect(await metric(t, 'sawbrain_ingest_dead_letters_total', { reason: 'schema' })).toBe(7);
    expect(await metric(t, 'sawbrain_ingest_dead_letters_total', { reason: 'not-json' })).toBe(2);
    expect(await metric(t, 'sawbrain_broker_oversize_packets_total')).toBe(1);

    // both services still work
    await good.publishAsync(
      goodTopic,
      JSON.stringify(telemetryMessage({ bootId: 'g', seq: 100, t0: T0, n: 20 })),
      { qos: 1 },
    );
    await waitFor(async () => (await count(healthy.machineId)) === 2020, 10_000);
    await good.endAsync();
    await bad.endAsync();
  });
});
