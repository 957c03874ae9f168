import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicFor } from '../../services/contracts/index.js';
import type { InfluxStore } from '../../services/stores/index.js';
import { type InfluxdHandle, influxdSkipReason, startInfluxd } from '../helpers/influxd.js';
import { telemetryMessage } from '../helpers/messages.js';
import { bootSystem, influxQL, provisionMachine, settle, type TestSystem } from '../helpers/system.js';

/**
 * Data the standard accepts but the store refuses (here: InfluxDB's field-type conflict, after
 * something else wrote `bladeTemp` as a string into the same shard). Ingest encodes batches
 * ahead of the write and keeps no point objects, so on a rejected batch it reads the records
 * back from its journal, writes them one at a time, and dead-letters only the refused ones:
 * the good messages beside them are all stored.
 */
const skip = influxdSkipReason();
const T0 = Date.UTC(2026, 10, 3, 8, 0, 0);
const MESSAGES = 40;
const PER_MESSAGE = 10;

describe.skipIf(skip !== null)('ingest: a batch the store rejects (real InfluxDB 1.x)', () => {
  let influxd: InfluxdHandle;
  let t: TestSystem;

  beforeAll(async () => {
    influxd = await startInfluxd();
    t = await bootSystem({ influx: { url: influxd.url }, ingest: { flushIntervalMs: 200 } });
  });
  afterAll(async () => {
    await t?.close();
    await influxd?.stop();
  });

  it('stores every good message and dead-letters only the refused ones', async () => {
    const m = await provisionMachine(t.sys, 'CL-REJ-01');
    // another writer claims bladeTemp as a string field in this shard
    await t.sys.store!.write([
      {
        db: 'operations',
        measurement: 'telemetry',
        tags: { tenant: m.tenant, machine: 'OTHER' },
        fields: { bladeTemp: 'hot' },
        ts: T0 - 1000,
      },
    ]);
    const client = await mqtt.connectAsync(t.mqttUrl, {
      clientId: m.machineId,
      username: m.machineId,
      password: m.password,
    });
    const topic = topicFor(m.tenant, m.machineId, 'telemetry');
    const sends: Promise<unknown>[] = [];
    for (let seq = 0; seq < MESSAGES; seq++) {
      const msg = telemetryMessage({ bootId: 'b1', seq, t0: T0, n: PER_MESSAGE });
      // odd messages leave bladeTemp out: those the store takes
      if (seq % 2 === 1) for (const s of msg.samples) delete (s as Record<string, unknown>).bladeTemp;
      sends.push(client.publishAsync(topic, JSON.stringify(msg), { qos: 1 }));
    }
    await Promise.all(sends);
    await client.endAsync();
    await settle(t.sys, MESSAGES);

    const dead = t.sys.ingest!.deadLetters(100).filter((d) => d.reason === 'store-rejected');
    expect(dead.length).toBe(MESSAGES / 2);
    expect(dead[0]!.message).toMatch(/field type conflict/);
    const series = await influxQL(
      influxd.url,
      (t.sys.store as InfluxStore).dbName('operations'),
      `SELECT count("power") FROM "telemetry" WHERE "machine" = '${m.machineId}'`,
    );
    expect(series[0]?.values[0]?.[1]).toBe((MESSAGES / 2) * PER_MESSAGE);
    const stats = t.sys.ingest!.stats();
    expect(stats.samplesStored).toBe((MESSAGES / 2) * PER_MESSAGE);
    expect(stats.backlog).toBe(false);
  });
});
