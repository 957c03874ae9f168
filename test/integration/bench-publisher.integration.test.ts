import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeanPublisher } from '../../bench/lib/lean-mqtt.js';
import { telemetryPayload } from '../../bench/lib/telemetry.js';
import { topicFor } from '../../services/contracts/index.js';
import { MEASUREMENTS } from '../../services/ingest/points.js';
import { bootSystem, provisionMachine, settle, type TestSystem } from '../helpers/system.js';

/**
 * The bench's lean load generator is a real MQTT client: the broker authenticates it, applies the
 * ACL, acknowledges its QoS 1 publishes, and ingest stores every sample it sent (so the bench's
 * zero-loss counts mean what they say). Its payloads are valid messages of the standard.
 */
describe('bench load generator (lean MQTT publisher) against the real broker', () => {
  let t: TestSystem;
  beforeAll(async () => {
    t = await bootSystem();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('authenticates, publishes QoS 0 and 1, and every sample is stored', async () => {
    const creds = await provisionMachine(t.sys, 'BENCH-LEAN-1');
    const client = await LeanPublisher.connect({
      url: t.mqttUrl,
      clientId: creds.machineId,
      username: creds.machineId,
      password: creds.password,
    });
    const topic = Buffer.from(topicFor(creds.tenant, creds.machineId, 'telemetry'));
    const t0 = Date.UTC(2026, 10, 1);
    const sent: Promise<void>[] = [];
    for (let seq = 0; seq < 200; seq++)
      sent.push(client.publish(topic, telemetryPayload(seq, t0, 10, 3), seq % 2 ? 1 : 0));
    await Promise.all(sent);
    expect(client.inflight).toBe(0);
    await client.end();
    await settle(t.sys, 200);
    const ingest = t.sys.ingest!.stats();
    expect(ingest.deadLetters).toBe(0);
    const rows = await t.sys.store!.query({
      db: 'operations',
      measurement: MEASUREMENTS.telemetry,
      where: { machine: creds.machineId },
      from: t0,
      to: t0 + 200 * 10 * 10 + 1,
    });
    expect(rows.length).toBe(2000);
  });

  it('is refused with a wrong password, and the ACL keeps it out of foreign topics', async () => {
    const creds = await provisionMachine(t.sys, 'BENCH-LEAN-2');
    await expect(
      LeanPublisher.connect({
        url: t.mqttUrl,
        clientId: creds.machineId,
        username: creds.machineId,
        password: 'nope',
      }),
    ).rejects.toThrow(/refused|closed/);
    const client = await LeanPublisher.connect({
      url: t.mqttUrl,
      clientId: creds.machineId,
      username: creds.machineId,
      password: creds.password,
    });
    const before = t.sys.ingest!.stats().received;
    // A machine may not publish as another one: aedes drops (QoS 0) or disconnects.
    const foreign = Buffer.from(topicFor(creds.tenant, 'BENCH-LEAN-1', 'telemetry'));
    await client.publish(foreign, telemetryPayload(0, Date.UTC(2026, 10, 2), 1, 1), 0).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    expect(t.sys.ingest!.stats().received).toBe(before);
    await client.end().catch(() => undefined);
  });
});
