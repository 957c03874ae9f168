import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicFor } from '../../services/contracts/index.js';
import { telemetryMessage } from '../helpers/messages.js';
import { bootSystem, provisionMachine, settle, type TestSystem } from '../helpers/system.js';

/**
 * Eclipse Paho (Debian's python3-paho-mqtt, run by Debian's python3) as an outside client no one
 * here wrote: a machine's identity publishes telemetry at QoS 1 and reads its own command topic;
 * what the broker refuses (another machine's topic, a wrong password, MQTT 5) it refuses clearly.
 */
const PYTHON = '/usr/bin/python3';
const CLIENT = join(import.meta.dirname, '../helpers/paho-client.py');

function pahoAvailable(): boolean {
  if (!existsSync(PYTHON)) return false;
  return existsSync('/usr/lib/python3/dist-packages/paho/mqtt/client.py');
}

interface PahoResult {
  connect: { code: number; reason: string };
  granted: number[];
  acked: number;
  messages: { topic: string; payload: string }[];
  closedByBroker: boolean;
}

/** Runs the Paho client; `onReady` runs once it is connected and subscribed. */
function paho(spec: Record<string, unknown>, onReady?: () => Promise<void>): Promise<PahoResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [CLIENT, JSON.stringify({ host: '127.0.0.1', timeoutS: 10, ...spec })]);
    let out = '';
    let err = '';
    let ready = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!ready && out.includes('READY\n')) {
        ready = true;
        onReady?.().catch(reject);
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(last) as PahoResult);
      } catch {
        reject(new Error(`paho client exited ${code}: ${out}${err}`));
      }
    });
  });
}

const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);

describe.skipIf(!pahoAvailable() && !process.env.CI)('Eclipse Paho (Python) as an outside client', () => {
  let t: TestSystem;
  let machine: { machineId: string; tenant: string; password: string };
  let other: { machineId: string; tenant: string; password: string };
  let admin: { username: string; password: string };

  beforeAll(async () => {
    if (!pahoAvailable())
      throw new Error('python3-paho-mqtt is not installed (apt-get install python3-paho-mqtt)');
    t = await bootSystem();
    machine = await provisionMachine(t.sys, 'PAHO-01');
    other = await provisionMachine(t.sys, 'PAHO-02');
    const service = await t.sys.registry!.addService('paho-test-admin', ['admin']);
    admin = { username: 'paho-test-admin', password: service.password };
  });
  afterAll(async () => {
    await t?.close();
  });

  const creds = () => ({
    port: t.port,
    clientId: machine.machineId,
    username: machine.machineId,
    password: machine.password,
  });

  it('publishes telemetry at QoS 1 that is stored sample by sample, and receives its own commands', async () => {
    const messages = 12;
    const publish = Array.from({ length: messages }, (_, i) => ({
      topic: topicFor(machine.tenant, machine.machineId, 'telemetry'),
      payload: JSON.stringify(
        telemetryMessage({ bootId: 'paho-boot', seq: i + 1, t0: T0 + i * 10_000, n: 10 }),
      ),
      qos: 1,
    }));
    const command = JSON.stringify({ hello: 'from the commander', at: Date.now() });
    const commandTopic = topicFor(machine.tenant, machine.machineId, 'command');
    const r = await paho({ ...creds(), subscribe: [commandTopic], publish, expect: 1 }, async () => {
      const c = await mqtt.connectAsync(t.mqttUrl, {
        clientId: admin.username,
        username: admin.username,
        password: admin.password,
        protocolVersion: 4,
        reconnectPeriod: 0,
      });
      await c.publishAsync(commandTopic, command, { qos: 1 });
      await c.endAsync();
    });

    expect(r.connect.code).toBe(0);
    expect(r.granted).toEqual([1]);
    expect(r.acked).toBe(messages);
    expect(r.messages).toEqual([{ topic: commandTopic, payload: command }]);
    expect(r.closedByBroker).toBe(false);

    await settle(t.sys, messages);
    const rows = await t.sys.store!.query({
      db: 'operations',
      measurement: 'telemetry',
      from: T0,
      to: T0 + 86_400_000,
      where: { machine: machine.machineId },
    });
    expect(rows).toHaveLength(messages * 10);
    const sent = publish.flatMap((p) => JSON.parse(p.payload).samples as Record<string, number>[]);
    expect(rows.map((row) => row.ts)).toEqual(sent.map((s) => s.ts));
    expect(rows.map((row) => row.values.bladeSpeed)).toEqual(sent.map((s) => s.bladeSpeed));
  });

  it("is refused another machine's topics: SUBACK failure, and the connection closed on a foreign publish", async () => {
    const r = await paho({
      ...creds(),
      subscribe: [topicFor(other.tenant, other.machineId, 'command')],
      foreign: topicFor(other.tenant, other.machineId, 'telemetry'),
    });
    expect(r.connect.code).toBe(0);
    expect(r.granted).toEqual([128]);
    expect(r.closedByBroker).toBe(true);
  });

  it('gets a clear CONNACK refusal for a wrong password and for MQTT 5 (the broker speaks MQTT 3.1.1)', async () => {
    const wrong = await paho({ ...creds(), password: 'not-the-password' });
    // 4 = bad user name or password, 5 = not authorised
    expect([4, 5]).toContain(wrong.connect.code);

    const v5 = await paho({ ...creds(), protocol: 5 });
    // CONNACK with MQTT 5's reason code 0x84, "unsupported protocol version" (mosquitto_pub
    // -V mqttv5 prints it as such), at once: no hang, no half-open session
    expect(v5.connect.code).toBe(0x84);
  });
});
