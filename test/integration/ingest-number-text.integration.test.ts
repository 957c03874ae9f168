import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TELEMETRY_VARIABLE_NAMES, topicFor } from '../../services/contracts/index.js';
import type { InfluxStore } from '../../services/stores/index.js';
import { type InfluxdHandle, influxdSkipReason, startInfluxd } from '../helpers/influxd.js';
import { bootSystem, influxQL, provisionMachine, settle, type TestSystem } from '../helpers/system.js';

/**
 * Ingest copies each telemetry number's text from the payload into line protocol (no parse and
 * print again). Whatever way a device spells a number — trailing zeros, 17+ significant digits,
 * exponents, −0, whitespace between tokens — InfluxDB must store the value JSON.parse reads from
 * the same bytes; a spelling the scanner is not sure of takes the general path and must land too.
 */
const skip = influxdSkipReason();
const T0 = Date.UTC(2026, 10, 3, 9, 0, 0);

const SPELLINGS = [
  '1.50',
  '0.1000000000000000055511151231257827',
  '12.345678901234567890123',
  '2.5e1',
  '3E-2',
  '-0.0',
  '-0',
  '0',
  '7',
  '39.999999999999999999',
  '4.000000000000001',
  '1e1',
];

function payload(seq: number, pretty: boolean): string {
  const samples = SPELLINGS.map((spelling, i) => {
    // every variable: each of these values is within every variable's range (0…40)
    const members = [`"ts":${T0 + seq * 1000 + i}`];
    for (const name of TELEMETRY_VARIABLE_NAMES) members.push(`"${name}":${spelling}`);
    return pretty ? `{\n  ${members.join(',\n  ')}\n}` : `{${members.join(',')}}`;
  });
  return `{"v":1,"ts":${T0 + seq * 1000 + 999},"bootId":"num","seq":${seq},"samples":[${samples.join(pretty ? ', ' : ',')}]}`;
}

describe.skipIf(skip !== null)('ingest: number texts as devices spell them (real InfluxDB 1.x)', () => {
  let influxd: InfluxdHandle;
  let t: TestSystem;

  beforeAll(async () => {
    influxd = await startInfluxd();
    t = await bootSystem({ influx: { url: influxd.url }, ingest: { flushIntervalMs: 100 } });
  });
  afterAll(async () => {
    await t?.close();
    await influxd?.stop();
  });

  it('stores the value JSON.parse reads, for every spelling, compact or pretty-printed', async () => {
    const m = await provisionMachine(t.sys, 'CL-NUM-01');
    const client = await mqtt.connectAsync(t.mqttUrl, {
      clientId: m.machineId,
      username: m.machineId,
      password: m.password,
    });
    const topic = topicFor(m.tenant, m.machineId, 'telemetry');
    const texts = [payload(0, false), payload(1, true)];
    for (const text of texts) await client.publishAsync(topic, text, { qos: 1 });
    await client.endAsync();
    await settle(t.sys, texts.length);
    expect(t.sys.ingest!.deadLetters(10)).toStrictEqual([]);

    const series = await influxQL(
      influxd.url,
      (t.sys.store as InfluxStore).dbName('operations'),
      `SELECT * FROM "telemetry" WHERE "machine" = '${m.machineId}' ORDER BY time`,
    );
    const { columns, values } = series[0]!;
    expect(values.length).toBe(texts.length * SPELLINGS.length);
    const expected = texts.flatMap(
      (text) => (JSON.parse(text) as { samples: Record<string, number>[] }).samples,
    );
    values.forEach((row, i) => {
      const stored = Object.fromEntries(columns.map((c, j) => [c, row[j]]));
      expect(stored.time).toBe(expected[i]!.ts);
      for (const name of TELEMETRY_VARIABLE_NAMES) {
        // InfluxDB's JSON has no −0: compare −0 as 0
        expect(stored[name], `${name} of ${SPELLINGS[i % SPELLINGS.length]}`).toBe(expected[i]![name]! + 0);
      }
    });
  });
});
