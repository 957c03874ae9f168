import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN_MAPS } from '../../edge/adapters/modbus/maps.js';
import { type RunningGateway, startGateway } from '../../edge/gateway.js';
import type { TelemetryVariable } from '../../services/contracts/variables.js';
import { silentLogger } from '../../services/core/logger.js';
import { waitFor } from '../helpers/ports.js';
import { ModbusPlc } from './helpers/modbus-plc.js';
import { Observer } from './helpers/observer.js';
import { type EdgeTestSystem, edgeSystem, testGatewayConfig } from './helpers/setup.js';

/**
 * A real Modbus TCP server (modbus-serial's ServerTCP) stands in for three saw PLCs, one per
 * built-in register map; the gateway reads them and the values must arrive at the broker in the
 * standard's units, scaled and decoded (16-bit scaled integers, word-swapped floats, 32-bit ints).
 */
const TRUTH: Record<TelemetryVariable, number> = {
  bladeSpeed: 65.3,
  downFeed: 48.2,
  feedForce: 12_340,
  motorCurrent: 23.4,
  power: 7.25,
  hydraulicPressure: 4.56,
  bladeTension: 172.5,
  bladeDeviation: -0.42,
  vibration: 1.23,
  motorTemp: 48.7,
  hydraulicOilTemp: 41.2,
  coolantTemp: 22.5,
  bladeTemp: 85.3,
  gearboxTemp: 39.9,
  coolantFlow: 18.6,
  coolantConcentration: 6.5,
  headPosition: 123.4,
};
const MAPS = [
  { machineId: 'CL-MB-U16', map: 'basic-u16', factor: 1 },
  { machineId: 'CL-MB-F32', map: 'float-cdab', factor: 1.1 },
  { machineId: 'CL-MB-I32', map: 'int32-abcd', factor: 1.2 },
] as const;
const expected = (factor: number) =>
  Object.fromEntries(Object.entries(TRUTH).map(([k, v]) => [k, Math.round(v * factor * 1000) / 1000]));

describe('Modbus TCP controllers → broker', () => {
  let e: EdgeTestSystem;
  let plc: ModbusPlc;
  let observer: Observer;
  let gw: RunningGateway;

  beforeAll(async () => {
    plc = new ModbusPlc();
    await plc.start();
    for (const m of MAPS) {
      const map = BUILT_IN_MAPS[m.map]!;
      for (const [name, value] of Object.entries(expected(m.factor))) {
        plc.set(map.variables[name as TelemetryVariable]!, value, map.wordOrder);
      }
      plc.set(map.status.mode!, 1, map.wordOrder); // the PLC says: running
    }
    e = await edgeSystem(
      'gw-modbus',
      MAPS.map((m) => m.machineId),
    );
    observer = await Observer.start(e.t.sys, e.t.mqttUrl);
    const config = testGatewayConfig(
      e,
      e.t.mqttUrl,
      MAPS.map((m) => ({
        machineId: m.machineId,
        model: 'test-model',
        serial: `SN-${m.machineId}`,
        sampleIntervalMs: 100,
        samplesPerMessage: 5,
        adapter: { protocol: 'modbus', host: '127.0.0.1', port: plc.port, map: m.map },
      })),
      { http: { host: '127.0.0.1', port: 0 } },
    );
    gw = await startGateway(config, silentLogger());
  });

  afterAll(async () => {
    await gw?.stop();
    await observer?.stop();
    await e?.close();
    await plc?.stop();
  });

  it('publishes a birth and telemetry decoded and scaled per map', async () => {
    await waitFor(() => MAPS.every((m) => observer.of('telemetry', m.machineId).length >= 2), 20_000);
    for (const m of MAPS) {
      const birth = observer.of('birth', m.machineId)[0]!;
      expect(birth.payload).toMatchObject({
        model: 'test-model',
        gateway: 'gw-modbus',
        sampleIntervalMs: 100,
      });
      expect((birth.payload.capabilities as string[]).length).toBe(17);
      // the first batch may be short (a state change flushes it); full batches carry 5
      const telemetry = observer.of('telemetry', m.machineId).at(-1)!;
      expect(telemetry.samples).toBe(5);
      const sample = (telemetry.payload.samples as Record<string, number>[])[0]!;
      for (const [name, value] of Object.entries(expected(m.factor))) {
        expect(sample[name], `${m.map} ${name}`).toBeCloseTo(value, 4);
      }
      expect(telemetry.bootId).toBe(gw.bootId);
    }
    const states = observer.of('state', 'CL-MB-U16').map((s) => s.payload.state);
    expect(states[0]).toBe('running');
  });

  it('raises and clears alarms from the alarm registers, with the state following', async () => {
    const map = BUILT_IN_MAPS['basic-u16']!;
    plc.set(map.status.alarmCode!, 17, map.wordOrder);
    plc.set(map.status.alarmSeverity!, 3, map.wordOrder);
    const raised = await waitFor(
      () => observer.of('alarm', 'CL-MB-U16').find((a) => a.payload.active === true),
      10_000,
    );
    expect(raised.payload).toMatchObject({ code: '17', severity: 'critical', active: true });
    await waitFor(() => observer.of('state', 'CL-MB-U16').some((s) => s.payload.state === 'alarm'), 10_000);
    plc.set(map.status.alarmCode!, 0, map.wordOrder);
    plc.set(map.status.alarmSeverity!, 0, map.wordOrder);
    const cleared = await waitFor(
      () => observer.of('alarm', 'CL-MB-U16').find((a) => a.payload.active === false),
      10_000,
    );
    expect(cleared.payload).toMatchObject({ code: '17', active: false });
  });

  it('lands in the store through ingest', async () => {
    const rows = await waitFor(async () => {
      const r = await e.t.sys.store!.query({
        db: 'operations',
        measurement: 'telemetry',
        from: 0,
        to: Date.now() + 60_000,
        where: { machine: 'CL-MB-I32' },
        limit: 5,
      });
      return r.length > 0 ? r : null;
    }, 15_000);
    expect(rows[0]!.values.bladeSpeed).toBeCloseTo(TRUTH.bladeSpeed * 1.2, 4);
    expect(rows[0]!.values.bladeDeviation).toBeCloseTo(TRUTH.bladeDeviation * 1.2, 4);
  });

  it('reports a PLC that stops answering as offline and resumes when it is back', async () => {
    const before = observer.of('telemetry', 'CL-MB-F32').length;
    await plc.stop();
    await waitFor(() => observer.of('state', 'CL-MB-F32').some((s) => s.payload.state === 'offline'), 10_000);
    // both controllers of the PLC go unreachable, each at its own next poll
    await waitFor(() => gw.health().controllers.every((c) => !c.reachable), 10_000);
    expect(gw.health().controllers.every((c) => !c.reachable)).toBe(true);
    await plc.start(true);
    await waitFor(() => gw.health().controllers.every((c) => c.reachable), 15_000);
    await waitFor(() => observer.of('telemetry', 'CL-MB-F32').length > before + 2, 10_000);
    const states = observer.of('state', 'CL-MB-F32').map((s) => s.payload.state);
    expect(states.slice(-2)).toEqual(['offline', 'running']);
  });

  it('serves /health and /metrics', async () => {
    const health = (await (await fetch(`${gw.urls.http}/health`)).json()) as {
      status: string;
      controllers: { machineId: string; reachable: boolean }[];
    };
    expect(health.status).toBe('ok');
    expect(health.controllers.map((c) => c.reachable)).toEqual([true, true, true]);
    const metrics = await (await fetch(`${gw.urls.http}/metrics`)).text();
    expect(metrics).toMatch(/sawbrain_edge_samples_total\{[^}]*machine="CL-MB-U16"[^}]*\} \d+/);
    expect(metrics).toContain('sawbrain_edge_link_up');
    expect(metrics).toContain('sawbrain_edge_outbox_depth_messages');
  });

  it('numbers every message of a machine without a gap or a duplicate', () => {
    for (const m of MAPS) {
      const seqs = observer.seen
        .filter((s) => s.machine === m.machineId && s.bootId === gw.bootId)
        .map((s) => s.seq)
        .sort((a, b) => a - b);
      expect(seqs).toEqual(seqs.map((_, i) => i));
    }
  });
});
