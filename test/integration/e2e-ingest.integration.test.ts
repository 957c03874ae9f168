import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicFor } from '../../services/contracts/index.js';
import type { SeriesRow } from '../../services/core/ports.js';
import { type InfluxdHandle, influxdSkipReason, startInfluxd } from '../helpers/influxd.js';
import { telemetryMessage, VARIABLE_NAMES } from '../helpers/messages.js';
import {
  bootSystem,
  influxQL,
  mosquittoPublishLines,
  provisionMachine,
  settle,
  type TestSystem,
} from '../helpers/system.js';

/**
 * The backbone end to end: an outside MQTT client (Debian's mosquitto_pub) publishes with a
 * provisioned machine's credentials → SawBrain's broker → ingest → store; every value is read
 * back and compared. Once against a real InfluxDB 1.x server (read with raw InfluxQL, not
 * through SawBrain's store code), once against the embedded SQLite store.
 */
const examples = join(import.meta.dirname, '../../docs/examples');
const example = (kind: string) => JSON.parse(readFileSync(join(examples, `${kind}.json`), 'utf8'));

const T0 = Date.UTC(2026, 10, 1, 8, 0, 0);
const MESSAGES = 40;
const PER_MESSAGE = 25;

type Backend = 'influx' | 'sqlite';
type Transport = 'auto' | 'mqtt';
const skipInflux = influxdSkipReason();

// ingest in-process on the broker (auto) and as a separate MQTT subscriber (mqtt)
describe.each<[Backend, Transport]>([
  ['sqlite', 'auto'],
  ['influx', 'mqtt'],
  ['influx', 'auto'],
])('mosquitto_pub → broker → ingest → %s (ingest transport %s)', (backend, transport) => {
  const skip = backend === 'influx' && skipInflux !== null;
  let influxd: InfluxdHandle | null = null;
  let t: TestSystem;
  let machine: { machineId: string; tenant: string; password: string };

  beforeAll(async () => {
    if (skip) return;
    if (backend === 'influx') influxd = await startInfluxd();
    t = await bootSystem({ ingest: { transport }, ...(influxd ? { influx: { url: influxd.url } } : {}) });
    machine = await provisionMachine(t.sys, 'CL-E2E-01');
  });
  afterAll(async () => {
    await t?.close();
    await influxd?.stop();
  });

  /** raw rows of one measurement, as [ts, field → value] maps, from the backend itself */
  async function rows(measurement: string): Promise<Record<string, unknown>[]> {
    if (influxd) {
      const series = await influxQL(
        influxd.url,
        'sawbrain_operations',
        `SELECT * FROM "${measurement}" WHERE "machine" = '${machine.machineId}' ORDER BY time ASC`,
      );
      const s = series[0];
      if (!s) return [];
      return s.values.map((v) =>
        Object.fromEntries(s.columns.map((c, i) => [c === 'time' ? 'ts' : c, v[i]])),
      );
    }
    const out: SeriesRow[] = await t.sys.store!.query({
      db: 'operations',
      measurement,
      from: 0,
      to: Date.UTC(2100, 0, 1),
      where: { machine: machine.machineId },
    });
    return out.map((r) => ({ ts: r.ts, ...r.tags, ...r.values }));
  }

  it.skipIf(skip)('stores every telemetry value exactly as published', async () => {
    const lines: string[] = [];
    for (let seq = 1; seq <= MESSAGES; seq++) {
      lines.push(JSON.stringify(telemetryMessage({ bootId: 'boot-1', seq, t0: T0, n: PER_MESSAGE })));
    }
    await mosquittoPublishLines(
      t.port,
      machine,
      topicFor(machine.tenant, machine.machineId, 'telemetry'),
      lines,
    );
    await settle(t.sys, MESSAGES);

    const stored = await rows('telemetry');
    expect(stored).toHaveLength(MESSAGES * PER_MESSAGE);
    const sent = lines.flatMap((l) => JSON.parse(l).samples as Record<string, number>[]);
    for (let i = 0; i < sent.length; i++) {
      const row = stored[i]!;
      expect(row.ts).toBe(sent[i]!.ts);
      expect(row.tenant).toBe(machine.tenant);
      for (const name of VARIABLE_NAMES) expect(row[name], `${name} of sample ${i}`).toBe(sent[i]![name]);
    }
  });

  it.skipIf(skip)(
    'stores birth, cut, state, alarm, blade and command-ack records field by field',
    async () => {
      const kinds = ['birth', 'cut', 'state', 'alarm', 'blade', 'command-ack'] as const;
      let seq = 100;
      for (const kind of kinds) {
        const payload = { ...example(kind), bootId: 'boot-1', seq: seq++ };
        await mosquittoPublishLines(t.port, machine, topicFor(machine.tenant, machine.machineId, kind), [
          JSON.stringify(payload),
        ]);
      }
      await settle(t.sys, MESSAGES + kinds.length);

      const cut = example('cut');
      const [c] = await rows('cut');
      expect(c).toMatchObject({
        ts: cut.start,
        cutId: cut.cutId,
        end: cut.end,
        completed: true,
        materialGrade: '1045',
        materialClass: 'medium-carbon',
        sectionShape: 'round',
        diameterMm: 200,
        areaCm2: cut.areaCm2,
        cuttingRateCm2Min: cut.cuttingRateCm2Min,
        energyKWh: cut.energyKWh,
        cuttingEnergyKWh: cut.cuttingEnergyKWh,
        peakCurrentA: cut.peakCurrentA,
        meanCurrentA: cut.meanCurrentA,
        maxDeviationMm: cut.maxDeviationMm,
        bladeId: cut.bladeId,
        durationS: (cut.end - cut.start) / 1000,
      });
      expect((await rows('state'))[0]).toMatchObject({
        ts: example('state').ts,
        state: 'idle',
        reason: 'cut complete',
      });
      expect((await rows('alarm'))[0]).toMatchObject({ code: 'E21', severity: 'warning', active: true });
      expect((await rows('blade_event'))[0]).toMatchObject({
        event: 'dismount',
        bladeId: 'BL-55102',
        areaCutCm2: 48210,
        cuts: 153,
      });
      expect((await rows('birth'))[0]).toMatchObject({
        model: 'chenlong-gz4240',
        firmware: '3.4.1',
        bootId: 'boot-1',
      });
      expect((await rows('command_ack'))[0]).toMatchObject({ commandId: 'cmd-8d2f', status: 'accepted' });
    },
  );

  it.skipIf(skip)('turns a sequence gap and a duplicate into data-quality events', async () => {
    const topic = topicFor(machine.tenant, machine.machineId, 'telemetry');
    const msg = (seq: number) =>
      JSON.stringify(telemetryMessage({ bootId: 'boot-2', seq, t0: T0 + 86_400_000, n: 2 }));
    await mosquittoPublishLines(t.port, machine, topic, [msg(0), msg(1), msg(5), msg(5), msg(6)]);
    await settle(t.sys, MESSAGES + 6 + 5);
    const events = (await rows('data_quality')).filter((e) => e.bootId === 'boot-2');
    expect(events.map((e) => [e.type, e.fromSeq, e.toSeq, e.count])).toEqual(
      expect.arrayContaining([
        ['gap', 2, 4, 3],
        ['duplicate', 5, 5, 1],
      ]),
    );
    expect(t.sys.ingest!.sequenceState(machine.machineId)).toMatchObject({
      bootId: 'boot-2',
      maxSeq: 6,
      missing: 3,
    });
  });
});
