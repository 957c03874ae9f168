import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../edge/gateway.js';
import { silentLogger } from '../../services/core/logger.js';
import { waitFor } from '../helpers/ports.js';
import { Observer } from './helpers/observer.js';
import { OpcuaPlc } from './helpers/opcua-plc.js';
import { commander, type EdgeTestSystem, edgeSystem, testGatewayConfig } from './helpers/setup.js';

/**
 * A real OPC UA server (node-opcua's OPCUAServer) stands in for a saw PLC; one gateway
 * controller reads it through a subscription, another polls it. Values arrive at the broker
 * mapped and scaled (hydraulic pressure in bar × 0.1 → MPa), changes follow, and commands are
 * written to nodes and confirmed.
 */
const SUB = 'CL-UA-SUB';
const POLL = 'CL-UA-POLL';

describe('OPC UA controllers → broker', () => {
  let e: EdgeTestSystem;
  let plc: OpcuaPlc;
  let observer: Observer;
  let gw: RunningGateway;
  let cmd: { client: MqttClient; send: (m: string, c: Record<string, unknown>) => Promise<void> };

  const latest = (machine: string) => {
    const t = observer.of('telemetry', machine).at(-1);
    return (t?.payload.samples as Record<string, number>[] | undefined)?.at(-1);
  };

  beforeAll(async () => {
    plc = new OpcuaPlc([
      { name: 'BladeSpeed', dataType: 'Double', value: 61.5 },
      { name: 'DownFeed', dataType: 'Double', value: 44.25 },
      { name: 'MotorCurrent', dataType: 'Double', value: 18.2 },
      { name: 'Power', dataType: 'Double', value: 5.5 },
      { name: 'HeadPosition', dataType: 'Double', value: 140 },
      { name: 'HydraulicPressureBar', dataType: 'UInt16', value: 85 },
      { name: 'GuardOpen', dataType: 'Boolean', value: false },
      { name: 'AlarmCode', dataType: 'UInt16', value: 0 },
      { name: 'FeedOverride', dataType: 'Double', value: 100 },
      { name: 'FeedHold', dataType: 'Boolean', value: false },
    ]);
    await plc.start();
    e = await edgeSystem('gw-opcua', [SUB, POLL]);
    observer = await Observer.start(e.t.sys, e.t.mqttUrl);
    cmd = await commander(e);
    const adapter = (mode: 'subscription' | 'poll') => ({
      protocol: 'opcua' as const,
      endpointUrl: plc.endpointUrl,
      mode,
      publishingIntervalMs: 50,
      samplingIntervalMs: 20,
      nodes: {
        bladeSpeed: { nodeId: plc.nodeId('BladeSpeed') },
        downFeed: { nodeId: plc.nodeId('DownFeed') },
        motorCurrent: { nodeId: plc.nodeId('MotorCurrent') },
        power: { nodeId: plc.nodeId('Power') },
        headPosition: { nodeId: plc.nodeId('HeadPosition') },
        hydraulicPressure: { nodeId: plc.nodeId('HydraulicPressureBar'), scale: 0.1 },
      },
      status: {
        guardOpen: { nodeId: plc.nodeId('GuardOpen') },
        alarmCode: { nodeId: plc.nodeId('AlarmCode') },
      },
      commands: {
        feedOverride: { nodeId: plc.nodeId('FeedOverride'), dataType: 'Double' as const },
        feedHold: { nodeId: plc.nodeId('FeedHold'), dataType: 'Boolean' as const },
      },
    });
    const config = testGatewayConfig(e, e.t.mqttUrl, [
      {
        machineId: SUB,
        model: 'test-model',
        serial: 'SN-SUB',
        sampleIntervalMs: 100,
        samplesPerMessage: 3,
        adapter: adapter('subscription'),
      },
      {
        machineId: POLL,
        model: 'test-model',
        serial: 'SN-POLL',
        sampleIntervalMs: 100,
        samplesPerMessage: 3,
        adapter: adapter('poll'),
      },
    ]);
    gw = await startGateway(config, silentLogger());
  });

  afterAll(async () => {
    await cmd?.client.endAsync();
    await gw?.stop();
    await observer?.stop();
    await e?.close();
    await plc?.stop();
  });

  it('maps and scales node values into telemetry, by subscription and by polling', async () => {
    for (const machine of [SUB, POLL]) {
      const sample = await waitFor(() => {
        const s = latest(machine);
        return s && Object.keys(s).length === 7 ? s : null;
      }, 20_000);
      expect(sample).toMatchObject({
        bladeSpeed: 61.5,
        downFeed: 44.25,
        motorCurrent: 18.2,
        power: 5.5,
        headPosition: 140,
        hydraulicPressure: 8.5,
      });
      const birth = observer.of('birth', machine)[0]!;
      expect(birth.payload.capabilities).toEqual([
        'bladeSpeed',
        'downFeed',
        'motorCurrent',
        'power',
        'headPosition',
        'hydraulicPressure',
      ]);
    }
  });

  it('follows value changes on the PLC', async () => {
    plc.set('BladeSpeed', 72.25);
    plc.set('HydraulicPressureBar', 120);
    for (const machine of [SUB, POLL]) {
      const s = await waitFor(() => {
        const x = latest(machine);
        return x?.bladeSpeed === 72.25 && x.hydraulicPressure === 12 ? x : null;
      }, 10_000);
      expect(s.bladeSpeed).toBe(72.25);
    }
  });

  it('writes commands to nodes and confirms them', async () => {
    await cmd.send(SUB, { commandId: 'ua-1', type: 'feed-override', params: { percent: 92.5 } });
    await cmd.send(POLL, { commandId: 'ua-2', type: 'pause-feed' });
    const final = (machine: string, id: string) =>
      observer
        .of('command-ack', machine)
        .find((a) => a.payload.commandId === id && a.payload.status !== 'accepted');
    const a1 = await waitFor(() => final(SUB, 'ua-1'), 10_000);
    const a2 = await waitFor(() => final(POLL, 'ua-2'), 10_000);
    expect(a1.payload.status).toBe('executed');
    expect(a2.payload.status).toBe('executed');
    expect(plc.values.get('FeedOverride')).toBe(92.5);
    expect(plc.values.get('FeedHold')).toBe(true);
  });

  it('reconnects and resubscribes after the server restarts', async () => {
    await plc.stop(true);
    await waitFor(() => gw.health().controllers.every((c) => !c.reachable), 15_000);
    plc.set('BladeSpeed', 55.5);
    await plc.start(true);
    for (const machine of [SUB, POLL]) {
      await waitFor(() => latest(machine)?.bladeSpeed === 55.5, 30_000);
    }
    expect(observer.of('state', SUB).map((s) => s.payload.state)).toContain('offline');
  });

  it('rejects resume with the guard open, read from a Boolean node', async () => {
    plc.set('GuardOpen', true);
    await waitFor(() => gw.controllers.get(SUB)!.state.status.guardOpen === true, 10_000);
    await cmd.send(SUB, { commandId: 'ua-3', type: 'resume-feed' });
    const ack = await waitFor(
      () => observer.of('command-ack', SUB).find((a) => a.payload.commandId === 'ua-3'),
      10_000,
    );
    expect(ack.payload).toMatchObject({ status: 'rejected', reason: 'guard open' });
    expect(plc.values.get('FeedHold')).toBe(true);
  });
});
