import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN_MAPS } from '../../edge/adapters/modbus/maps.js';
import { type RunningGateway, startGateway } from '../../edge/gateway.js';
import { startSystem } from '../../services/app/system.js';
import type { CommandRecord } from '../../services/commands/index.js';
import { type Command, topicFor } from '../../services/contracts/index.js';
import { loadConfig } from '../../services/core/config.js';
import { silentLogger } from '../../services/core/logger.js';
import { ModbusPlc } from '../edge/helpers/modbus-plc.js';
import { testGatewayConfig } from '../edge/helpers/setup.js';
import { waitFor } from '../helpers/ports.js';
import type { TestSystem } from '../helpers/system.js';
import { ADMIN_KEY, addMachines, bootApi, call, type FleetMachine, key } from './helpers.js';

/**
 * Commands through the API, a real Aedes broker on loopback and real machine-side clients: an
 * edge gateway (edge/) in front of a Modbus TCP PLC stand-in that is mid-cut (its interlocks
 * decide), plain mqtt.js machine clients that acknowledge, and one that never answers.
 */
const A = 'chenlong';
const P1 = 'ningbo-autoparts';
const EDGE = 'CL-CMD-E1';
const map = BUILT_IN_MAPS['basic-u16']!;
const REG = { feedOverride: 30, bladeSpeedSetpoint: 31 };

/** A machine that speaks MQTT itself: records every command; answers accepted → executed unless silent. */
class MachineClient {
  readonly received: Command[] = [];
  private seq = 0;
  private constructor(
    readonly client: MqttClient,
    private readonly m: FleetMachine,
    private readonly silent: boolean,
  ) {}

  static async start(url: string, m: FleetMachine, silent = false): Promise<MachineClient> {
    const client = await connectAsync(url, {
      clientId: m.machineId,
      username: m.machineId,
      password: m.password,
      reconnectPeriod: 0,
    });
    const mc = new MachineClient(client, m, silent);
    client.on('message', (_t, payload) => mc.onCommand(JSON.parse(payload.toString()) as Command));
    await client.subscribeAsync(topicFor(m.tenant, m.machineId, 'command'), { qos: 1 });
    return mc;
  }

  private onCommand(c: Command): void {
    this.received.push(c);
    if (this.silent) return;
    void this.ack(c.commandId, 'accepted').then(() =>
      this.ack(c.commandId, 'executed', 'done by the test machine'),
    );
  }

  private ack(commandId: string, status: string, reason?: string) {
    const body = {
      v: 1,
      ts: Date.now(),
      bootId: 'm-boot',
      seq: this.seq++,
      commandId,
      status,
      ...(reason ? { reason } : {}),
    };
    return this.client.publishAsync(
      topicFor(this.m.tenant, this.m.machineId, 'command-ack'),
      JSON.stringify(body),
      { qos: 1 },
    );
  }
}

describe('commands: two-phase, idempotent, expiring, authorised', () => {
  let t: TestSystem;
  let plc: ModbusPlc;
  let gw: RunningGateway;
  let fleet: FleetMachine[];
  const clients: Record<string, MachineClient> = {};
  const keys: Record<string, string> = {};
  let dataDir: string;

  const get = async (id: string) =>
    (await call(t.sys, keys.plant!, 'GET', `/api/v1/commands/${id}`)).json as CommandRecord;
  const terminal = (id: string, timeout = 10_000) =>
    waitFor(
      async () => {
        const c = await get(id);
        return ['done', 'rejected', 'failed', 'expired'].includes(c.status) ? c : null;
      },
      timeout,
      20,
    );
  const send = (apiKey: string, machine: string, body: Record<string, unknown>) =>
    call(t.sys, apiKey, 'POST', `/api/v1/machines/${machine}/commands`, body);

  beforeAll(async () => {
    t = await bootApi();
    const m = (machineId: string, tenant: string, plant: string, site: string) => ({
      machineId,
      tenant,
      plant,
      site,
      region: 'cn-zhejiang',
      industry: 'automotive-parts',
      model: 'test-model',
    });
    fleet = await addMachines(t.sys, [
      m(EDGE, A, P1, 'hall-1'),
      m('CL-CMD-M1', A, P1, 'hall-2'),
      m('CL-CMD-M2', A, P1, 'hall-2'),
      m('CL-CMD-SILENT', A, P1, 'hall-3'),
      m('JL-CMD-1', 'julihuang', 'kunshan-mould', 'hall-1'),
    ]);
    keys.plant = key(t.sys, 'plant', { plant: P1 });
    keys.otherPlant = key(t.sys, 'plant', { plant: 'kunshan-mould' });
    keys.chenlong = key(t.sys, 'manufacturer', { tenant: A });
    keys.julihuang = key(t.sys, 'manufacturer', { tenant: 'julihuang' });
    keys.innovation = key(t.sys, 'innovation');
    for (const id of ['CL-CMD-M1', 'CL-CMD-M2'])
      clients[id] = await MachineClient.start(t.mqttUrl, fleet.find((f) => f.machineId === id)!);
    clients['CL-CMD-SILENT'] = await MachineClient.start(
      t.mqttUrl,
      fleet.find((f) => f.machineId === 'CL-CMD-SILENT')!,
      true,
    );

    // an edge gateway in front of a Modbus PLC stand-in that is cutting
    plc = new ModbusPlc();
    await plc.start();
    for (const [name, v] of [
      ['bladeSpeed', 65],
      ['downFeed', 48],
      ['power', 7.5],
      ['motorCurrent', 20],
      ['headPosition', 120],
    ] as const)
      plc.set(map.variables[name]!, v, map.wordOrder);
    plc.set(map.status.feedOverride!, 100, map.wordOrder);
    plc.holding[REG.feedOverride] = 100;
    const { password } = await t.sys.registry!.addGateway('gw-api', A, [EDGE]);
    dataDir = mkdtempSync(join(tmpdir(), 'sawbrain-api-edge-'));
    const e = { t, gatewayId: 'gw-api', gatewayPassword: password, dataDir, close: async () => {} };
    gw = await startGateway(
      testGatewayConfig(e, t.mqttUrl, [
        {
          machineId: EDGE,
          model: 'test-model',
          serial: 'SN-E1',
          sampleIntervalMs: 50,
          samplesPerMessage: 10,
          adapter: { protocol: 'modbus', host: '127.0.0.1', port: plc.port, map: 'basic-u16' },
          cuts: { powerOnKw: 5, minDurationMs: 0 },
          interlocks: { feedOverrideMax: 120, bladeSpeedMax: 120 },
        },
      ]),
      silentLogger(),
    );
    await waitFor(() => gw.controllers.get(EDGE)!.state.inCut, 10_000);
    await waitFor(() => gw.uplink.connected, 10_000);
  }, 60_000);

  afterAll(async () => {
    for (const c of Object.values(clients)) await c.client.endAsync();
    await gw?.stop();
    await t?.close();
    await plc?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('accepted and executed through the edge gateway, written to the PLC, audited', async () => {
    const res = await send(keys.plant!, EDGE, {
      type: 'feed-override',
      params: { percent: 85 },
      idempotencyKey: 'edge-feed-85',
    });
    expect(res.status).toBe(201);
    const id = res.json.commands[0].commandId as string;
    const c = await terminal(id);
    expect(c).toMatchObject({ status: 'done', machineId: EDGE, type: 'feed-override' });
    expect(c.acceptedAt).toBeGreaterThanOrEqual(c.createdAt);
    expect(c.finishedAt).toBeLessThanOrEqual(c.expiresAt);
    expect(plc.holding[REG.feedOverride]).toBe(85);
    const audit = await call(t.sys, keys.plant!, 'GET', `/api/v1/audit?targetKind=command&targetId=${id}`);
    expect(audit.json.items.map((e: { action: string }) => e.action).sort()).toEqual([
      'command.accepted',
      'command.create',
      'command.done',
    ]);
    expect(audit.json.items.find((e: { action: string }) => e.action === 'command.create').actorLabel).toBe(
      'plant test key',
    );
  });

  it('rejected by the interlock (blade speed change mid-cut), nothing written', async () => {
    const res = await send(keys.plant!, EDGE, {
      type: 'blade-speed-setpoint',
      params: { bladeSpeed: 70 },
      idempotencyKey: 'edge-speed-70',
    });
    expect(res.status).toBe(201);
    const c = await terminal(res.json.commands[0].commandId);
    expect(c).toMatchObject({ status: 'rejected', reason: 'blade speed change refused mid-cut' });
    expect(plc.writes.filter((w) => w.address === REG.bladeSpeedSetpoint)).toEqual([]);
  });

  it('never answered → expired at its expiry, not later', async () => {
    const res = await send(keys.plant!, 'CL-CMD-SILENT', {
      type: 'pause-feed',
      idempotencyKey: 'silent-pause-1',
      ttlMs: 1500,
    });
    expect(res.status).toBe(201);
    const id = res.json.commands[0].commandId as string;
    await waitFor(() => clients['CL-CMD-SILENT']!.received.some((c) => c.commandId === id), 5000);
    expect((await get(id)).status).toBe('sent');
    const c = await terminal(id, 5000);
    expect(c.status).toBe('expired');
    const late = c.finishedAt! - c.expiresAt;
    process.stdout.write(`expiry: finished ${late} ms after expiresAt\n`);
    expect(late).toBeGreaterThanOrEqual(0);
    expect(late).toBeLessThan(500);
    // the message carried the expiry, so a machine that wakes up late refuses it itself
    expect(clients['CL-CMD-SILENT']!.received.find((m) => m.commandId === id)!.expiresAt).toBe(c.expiresAt);
  });

  it('a replayed idempotency key is executed once; the same key for another request is 409', async () => {
    const body = { type: 'stop-after-cut', idempotencyKey: 'replay-stop-0001' };
    const first = await send(keys.plant!, 'CL-CMD-M1', body);
    expect(first.status).toBe(201);
    const replays = await Promise.all([1, 2, 3, 4].map(() => send(keys.plant!, 'CL-CMD-M1', body)));
    for (const r of replays) {
      expect(r.status).toBe(200);
      expect(r.json.created).toBe(false);
      expect(r.json.commands[0].commandId).toBe(first.json.commands[0].commandId);
    }
    const c = await terminal(first.json.commands[0].commandId);
    expect(c.status).toBe('done');
    await new Promise((r) => setTimeout(r, 300));
    expect(clients['CL-CMD-M1']!.received.filter((m) => m.type === 'stop-after-cut')).toHaveLength(1);
    const conflict = await send(keys.plant!, 'CL-CMD-M1', { ...body, type: 'pause-feed' });
    expect(conflict.status).toBe(409);
    expect(conflict.json.error.code).toBe('IDEMPOTENCY_CONFLICT');
  });

  it('cross-tenant and foreign-plant commands are 403 and never reach the machine', async () => {
    const before = clients['CL-CMD-M2']!.received.length;
    for (const k of [keys.julihuang!, keys.otherPlant!, keys.innovation!]) {
      const r = await send(k, 'CL-CMD-M2', {
        type: 'request-snapshot',
        idempotencyKey: `foreign-${k.slice(-6)}`,
      });
      expect(r.status).toBe(403);
      expect(r.json.error.code).toBe('FORBIDDEN');
      const line = await call(t.sys, k, 'POST', `/api/v1/plants/${P1}/lines/hall-2/commands`, {
        type: 'request-snapshot',
        idempotencyKey: `foreign-line-${k.slice(-6)}`,
      });
      expect(line.status).toBe(403);
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(clients['CL-CMD-M2']!.received.length).toBe(before);
  });

  it('only permitted roles: a manufacturer may stop after the cut, not change the feed', async () => {
    const denied = await send(keys.chenlong!, 'CL-CMD-M2', {
      type: 'feed-override',
      params: { percent: 90 },
      idempotencyKey: 'mfr-feed-1',
    });
    expect(denied.status).toBe(403);
    const ok = await send(keys.chenlong!, 'CL-CMD-M2', {
      type: 'stop-after-cut',
      idempotencyKey: 'mfr-stop-1',
    });
    expect(ok.status).toBe(201);
    expect((await terminal(ok.json.commands[0].commandId)).status).toBe('done');
  });

  it('a line command fans out to every saw of the line, one group', async () => {
    const res = await call(t.sys, keys.plant!, 'POST', `/api/v1/plants/${P1}/lines/hall-2/commands`, {
      type: 'request-snapshot',
      idempotencyKey: 'line-snapshot-1',
    });
    expect(res.status).toBe(201);
    const cmds = res.json.commands as CommandRecord[];
    expect(cmds.map((c) => c.machineId).sort()).toEqual(['CL-CMD-M1', 'CL-CMD-M2']);
    expect(new Set(cmds.map((c) => c.groupId)).size).toBe(1);
    for (const c of cmds) expect((await terminal(c.commandId)).status).toBe('done');
    const group = await call(t.sys, keys.plant!, 'GET', `/api/v1/commands?groupId=${cmds[0]!.groupId}`);
    expect(group.json.total).toBe(2);
  });

  it('every command reached a terminal state no later than its expiry', async () => {
    const all = t.sys.api!.commands!.list({ limit: 1000, offset: 0 }).items;
    expect(all.length).toBeGreaterThanOrEqual(7);
    for (const c of all) {
      expect(['done', 'rejected', 'failed', 'expired']).toContain(c.status);
      expect(c.finishedAt! - c.expiresAt).toBeLessThan(500);
    }
  });
});

describe('commands across a restart', () => {
  it('an open command keeps its expiry after a restart and ends expired on time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sawbrain-api-restart-'));
    const config = loadConfig(
      {},
      {
        roles: ['broker', 'http'],
        dataDir: dir,
        logLevel: 'silent',
        mqtt: { host: '127.0.0.1', port: 0, wsPort: 0 },
        http: { host: '127.0.0.1', port: 0 },
        api: { adminKey: ADMIN_KEY, bootstrapAdmin: false },
      },
    );
    const first = await startSystem(config, silentLogger());
    await first.registry!.addMachine({
      machineId: 'CL-RESTART-1',
      tenant: A,
      plant: P1,
      site: 'hall-9',
      region: 'cn-zhejiang',
      industry: 'automotive-parts',
      model: 'test-model',
      serial: 'S-R1',
    });
    const res = await call(first, ADMIN_KEY, 'POST', '/api/v1/machines/CL-RESTART-1/commands', {
      type: 'request-snapshot',
      idempotencyKey: 'restart-snapshot-1',
      ttlMs: 2500,
    });
    expect(res.status).toBe(201);
    const id = res.json.commands[0].commandId as string;
    await first.stop();
    const second = await startSystem(config, silentLogger());
    try {
      const open = (await call(second, ADMIN_KEY, 'GET', `/api/v1/commands/${id}`)).json as CommandRecord;
      expect(['pending', 'sent']).toContain(open.status);
      const c = await waitFor(
        async () => {
          const r = (await call(second, ADMIN_KEY, 'GET', `/api/v1/commands/${id}`)).json as CommandRecord;
          return r.status === 'expired' ? r : null;
        },
        5000,
        20,
      );
      expect(c.finishedAt! - c.expiresAt).toBeLessThan(500);
      // the replayed key still finds it after the restart
      const again = await call(second, ADMIN_KEY, 'POST', '/api/v1/machines/CL-RESTART-1/commands', {
        type: 'request-snapshot',
        idempotencyKey: 'restart-snapshot-1',
        ttlMs: 2500,
      });
      expect(again.status).toBe(200);
      expect(again.json.commands[0].commandId).toBe(id);
    } finally {
      await second.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
