import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { type GatewayConfig, type GatewayConfigInput, parseGatewayConfig } from '../../../edge/config.js';
import { topicFor } from '../../../services/contracts/index.js';
import { bootSystem, provisionMachine, type TestSystem } from '../../helpers/system.js';

export const TENANT = 'chenlong';

export interface EdgeTestSystem {
  t: TestSystem;
  gatewayId: string;
  gatewayPassword: string;
  dataDir: string;
  close(): Promise<void>;
}

/** SawBrain (broker + ingest) on loopback, the machines provisioned and a gateway allowed to speak for them. */
export async function edgeSystem(gatewayId: string, machineIds: readonly string[]): Promise<EdgeTestSystem> {
  const t = await bootSystem();
  for (const m of machineIds) await provisionMachine(t.sys, m, TENANT);
  const { password } = await t.sys.registry!.addGateway(gatewayId, TENANT, machineIds);
  const dataDir = mkdtempSync(join(tmpdir(), 'sawbrain-edge-'));
  return {
    t,
    gatewayId,
    gatewayPassword: password,
    dataDir,
    close: async () => {
      await t.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A gateway config for tests: quiet, quick to reconnect, data in the test's temp dir. */
export function testGatewayConfig(
  e: EdgeTestSystem,
  brokerUrl: string,
  controllers: GatewayConfigInput['controllers'],
  over: Partial<Omit<GatewayConfigInput, 'controllers'>> = {},
): GatewayConfig {
  return parseGatewayConfig({
    gatewayId: e.gatewayId,
    tenant: TENANT,
    dataDir: e.dataDir,
    logLevel: 'silent',
    ...over,
    broker: {
      url: brokerUrl,
      password: e.gatewayPassword,
      reconnectMs: 200,
      keepaliveS: 5,
      connectTimeoutMs: 2000,
      ...over.broker,
    },
    controllers,
  });
}

/** A backend service allowed to publish commands (commander scope). */
export async function commander(
  e: EdgeTestSystem,
  name = 'edge-test-commander',
): Promise<{
  client: MqttClient;
  send: (machineId: string, command: Record<string, unknown>) => Promise<void>;
}> {
  const { password } = await e.t.sys.registry!.addService(name, ['commander']);
  const client = await mqtt.connectAsync(e.t.mqttUrl, { clientId: name, username: name, password });
  let seq = 0;
  return {
    client,
    send: async (machineId, command) => {
      const now = Date.now();
      const payload = { v: 1, ts: now, bootId: 'commander', seq: seq++, expiresAt: now + 30_000, ...command };
      await client.publishAsync(topicFor(TENANT, machineId, 'command'), JSON.stringify(payload), { qos: 1 });
    },
  };
}
