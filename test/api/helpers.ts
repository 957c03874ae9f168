import { connectAsync, type MqttClient } from 'mqtt';
import type { RunningSystem } from '../../services/app/system.js';
import { type Sample, TELEMETRY_VARIABLE_NAMES, topicFor } from '../../services/contracts/index.js';
import type { ConfigInput } from '../../services/core/config.js';
import type { ApiRole } from '../../services/registry/index.js';
import { cuttingSample, seeds, T0 } from '../analysis/fixtures.js';
import { bootSystem, type TestSystem } from '../helpers/system.js';

// biome-ignore lint/suspicious/noExplicitAny: API answers are walked as plain JSON
export type Json = any;

export { T0 };
export const ADMIN_KEY = `sbk_test-admin-${'x'.repeat(32)}`;
const RATED = seeds.lookup.model.get('chenlong-gz4235')!.ratedCurrentA;

/** SawBrain with broker, ingest, analysis and the HTTP API on free loopback ports. */
export function bootApi(overrides: ConfigInput = {}): Promise<TestSystem> {
  return bootSystem({
    roles: ['broker', 'ingest', 'analysis', 'http'],
    analysis: { tickMs: 50 },
    ...overrides,
    api: { adminKey: ADMIN_KEY, bootstrapAdmin: false, rateLimitPerMinute: 100_000, ...overrides.api },
  });
}

export interface FleetMachine {
  machineId: string;
  tenant: string;
  plant: string;
  site: string;
  region: string;
  industry: string;
  model: string;
  serial: string;
  password: string;
}

/** Registers machines (real scrypt credentials) and returns them with their passwords. */
export async function addMachines(sys: RunningSystem, specs: Omit<FleetMachine, 'password' | 'serial'>[]) {
  const out: FleetMachine[] = [];
  for (const s of specs) {
    const serial = `SER-${s.machineId}`;
    const { password } = await sys.registry!.addMachine({ ...s, serial });
    out.push({ ...s, serial, password });
  }
  return out;
}

export function key(
  sys: RunningSystem,
  role: ApiRole,
  scope: { tenant?: string; plant?: string } = {},
  label = `${role} test key`,
) {
  return sys.api!.keys.create({ role, label, ...scope }).key;
}

/** HTTP through Fastify's inject (no socket), with a bearer key. */
export async function call(
  sys: RunningSystem,
  apiKey: string | null,
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; json: Json; text: string }> {
  const res = await sys.api!.app.inject({
    method: method as 'GET',
    url,
    headers: {
      ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  });
  let json: unknown = null;
  try {
    json = JSON.parse(res.body);
  } catch {
    json = null;
  }
  return { status: res.statusCode, json, text: res.body };
}

/** A real machine client over MQTT with its own credentials. */
export interface Device {
  client: MqttClient;
  send(kind: string, body: object, retain?: boolean): Promise<void>;
  overload(t: number): Promise<void>;
  close(): Promise<void>;
}

export async function device(
  url: string,
  m: { machineId: string; tenant: string; password: string },
): Promise<Device> {
  const client = await connectAsync(url, {
    clientId: m.machineId,
    username: m.machineId,
    password: m.password,
    reconnectPeriod: 0,
  });
  let seq = 0;
  const d: Device = {
    client,
    send: async (kind, body, retain = kind === 'birth' || kind === 'state') => {
      await client.publishAsync(
        topicFor(m.tenant, m.machineId, kind as 'cut'),
        JSON.stringify({ v: 1, bootId: 'boot-1', seq: seq++, ...body }),
        { qos: 1, retain },
      );
    },
    overload: async (t) => {
      const samples: Sample[] = Array.from({ length: 5 }, (_, i) =>
        cuttingSample(t + i * 1000, { motorCurrent: RATED * 1.15 }),
      );
      await d.send('telemetry', { ts: samples.at(-1)!.ts, samples });
    },
    close: () => client.endAsync(),
  };
  await d.send('birth', {
    ts: T0,
    model: 'chenlong-gz4235',
    serial: `SER-${m.machineId}`,
    firmware: 'f1',
    capabilities: [...TELEMETRY_VARIABLE_NAMES],
    sampleIntervalMs: 1000,
  });
  await d.send('state', { ts: T0, state: 'running' });
  return d;
}
