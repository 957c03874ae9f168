import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN_MAPS } from '../../edge/adapters/modbus/maps.js';
import { type RunningGateway, startGateway } from '../../edge/gateway.js';
import type { TelemetryVariable } from '../../services/contracts/variables.js';
import { silentLogger } from '../../services/core/logger.js';
import { waitFor } from '../helpers/ports.js';
import { ModbusPlc } from './helpers/modbus-plc.js';
import { Observer } from './helpers/observer.js';
import { commander, type EdgeTestSystem, edgeSystem, testGatewayConfig } from './helpers/setup.js';

/**
 * Commands from the broker pass the gateway's interlocks against the live state of a real
 * Modbus TCP PLC stand-in: unsafe ones are rejected with the reason and never written; safe
 * ones are written, read back and acknowledged executed (or failed when the PLC keeps another value).
 */
const MACHINE = 'CL-CMD-1';
const map = BUILT_IN_MAPS['basic-u16']!;
const REG = { feedOverride: 30, bladeSpeedSetpoint: 31, feedHold: 32 };

describe('command relay with interlocks (Modbus TCP)', () => {
  let e: EdgeTestSystem;
  let plc: ModbusPlc;
  let observer: Observer;
  let gw: RunningGateway;
  let cmd: { client: MqttClient; send: (m: string, c: Record<string, unknown>) => Promise<void> };
  let n = 0;

  const set = (name: TelemetryVariable, v: number) => plc.set(map.variables[name]!, v, map.wordOrder);
  const setStatus = (name: keyof typeof map.status, v: number) =>
    plc.set(map.status[name]!, v, map.wordOrder);
  /** sends a command and waits for its final ack (rejected, executed or failed) */
  const command = async (c: Record<string, unknown>) => {
    const commandId = `cmd-${++n}`;
    await cmd.send(MACHINE, { commandId, ...c });
    const acks = () => observer.of('command-ack', MACHINE).filter((a) => a.payload.commandId === commandId);
    await waitFor(() => acks().some((a) => a.payload.status !== 'accepted'), 10_000);
    return acks().map((a) => ({
      status: a.payload.status as string,
      reason: a.payload.reason as string | undefined,
    }));
  };

  beforeAll(async () => {
    plc = new ModbusPlc();
    await plc.start();
    // cutting: blade running, loaded above powerOnKw, feeding
    for (const [name, v] of [
      ['bladeSpeed', 65],
      ['downFeed', 48],
      ['power', 7.5],
      ['motorCurrent', 20],
      ['headPosition', 120],
    ] as const)
      set(name, v);
    setStatus('feedOverride', 100);
    plc.holding[REG.feedOverride] = 100;
    e = await edgeSystem('gw-cmd', [MACHINE]);
    observer = await Observer.start(e.t.sys, e.t.mqttUrl);
    cmd = await commander(e);
    const config = testGatewayConfig(e, e.t.mqttUrl, [
      {
        machineId: MACHINE,
        model: 'test-model',
        serial: 'SN-CMD-1',
        sampleIntervalMs: 50,
        samplesPerMessage: 10,
        adapter: { protocol: 'modbus', host: '127.0.0.1', port: plc.port, map: 'basic-u16' },
        cuts: { powerOnKw: 5, minDurationMs: 0 },
        interlocks: { feedOverrideMax: 120, bladeSpeedMax: 120 },
      },
    ]);
    gw = await startGateway(config, silentLogger());
    await waitFor(() => gw.controllers.get(MACHINE)!.state.inCut, 10_000);
    await waitFor(() => gw.uplink.connected, 10_000);
  });

  afterAll(async () => {
    await cmd?.client.endAsync();
    await gw?.stop();
    await observer?.stop();
    await e?.close();
    await plc?.stop();
  });

  it('rejects a blade-speed change mid-cut and writes nothing', async () => {
    const acks = await command({ type: 'blade-speed-setpoint', params: { bladeSpeed: 70 } });
    expect(acks).toEqual([{ status: 'rejected', reason: 'blade speed change refused mid-cut' }]);
    expect(plc.writes.filter((w) => w.address === REG.bladeSpeedSetpoint)).toEqual([]);
  });

  it('rejects a feed override outside 0–120 %', async () => {
    const acks = await command({ type: 'feed-override', params: { percent: 130 } });
    expect(acks).toEqual([{ status: 'rejected', reason: 'feed override 130 % outside 0–120 %' }]);
  });

  it('rejects an expired command', async () => {
    const acks = await command({ type: 'pause-feed', expiresAt: Date.now() - 1000 });
    expect(acks[0]!.status).toBe('rejected');
    expect(acks[0]!.reason).toMatch(/^expired at /);
  });

  it('writes a safe feed override and confirms it by reading it back', async () => {
    const acks = await command({ type: 'feed-override', params: { percent: 85 } });
    expect(acks.map((a) => a.status)).toEqual(['accepted', 'executed']);
    expect(plc.holding[REG.feedOverride]).toBe(85);
    expect(plc.writes).toContainEqual({ address: REG.feedOverride, value: 85 });
  });

  it('reports failed when the PLC keeps another value than the one written', async () => {
    plc.onWrite = (address, value) => (address === REG.feedOverride ? Math.min(value, 100) : value);
    const acks = await command({ type: 'feed-override', params: { percent: 110 } });
    plc.onWrite = (_a, v) => v;
    expect(acks.map((a) => a.status)).toEqual(['accepted', 'failed']);
    expect(acks[1]!.reason).toBe('feedOverride read back 100, expected 110');
  });

  it('refuses to resume feed with the guard open or a critical alarm active', async () => {
    setStatus('guardOpen', 1);
    await waitFor(() => gw.controllers.get(MACHINE)!.state.status.guardOpen === true, 5000);
    expect(await command({ type: 'resume-feed' })).toEqual([{ status: 'rejected', reason: 'guard open' }]);
    setStatus('guardOpen', 0);
    setStatus('alarmCode', 42);
    setStatus('alarmSeverity', 3);
    await waitFor(() => gw.controllers.get(MACHINE)!.state.status.alarms?.length === 1, 5000);
    expect(await command({ type: 'resume-feed' })).toEqual([
      { status: 'rejected', reason: 'critical alarm 42 active' },
    ]);
    expect(plc.writes.filter((w) => w.address === REG.feedHold)).toEqual([]);
    setStatus('alarmCode', 0);
    setStatus('alarmSeverity', 0);
    await waitFor(() => gw.controllers.get(MACHINE)!.state.status.alarms?.length === 0, 5000);
    const acks = await command({ type: 'resume-feed' });
    expect(acks.map((a) => a.status)).toEqual(['accepted', 'executed']);
    expect(plc.writes).toContainEqual({ address: REG.feedHold, value: 0 });
  });

  it('changes the blade speed once the cut is over', async () => {
    set('power', 1); // unloaded: the cut ends
    await waitFor(() => observer.of('cut', MACHINE).length > 0, 10_000);
    await waitFor(() => !gw.controllers.get(MACHINE)!.state.inCut, 5000);
    const acks = await command({ type: 'blade-speed-setpoint', params: { bladeSpeed: 72.5 } });
    expect(acks.map((a) => a.status)).toEqual(['accepted', 'executed']);
    expect(plc.holding[REG.bladeSpeedSetpoint]).toBe(725);
  });
});
