import mqtt, { type MqttClient } from 'mqtt';
import type { RunningSystem } from '../../../services/app/system.js';
import { parseTopic } from '../../../services/contracts/index.js';

export interface Seen {
  topic: string;
  machine: string;
  kind: string;
  bootId: string;
  seq: number;
  samples: number;
  retain: boolean;
  payload: Record<string, unknown>;
  /** arrival index */
  n: number;
  /** arrival time (ms) */
  at: number;
}

/**
 * An upstream observer: a service principal (ingest scope) subscribed QoS 1 to every uplink
 * topic, recording what arrives in arrival order.
 */
export class Observer {
  readonly seen: Seen[] = [];
  private client: MqttClient | undefined;

  static async start(sys: RunningSystem, mqttUrl: string, name = 'edge-test-observer'): Promise<Observer> {
    const { password } = await sys.registry!.addService(name, ['ingest']);
    const o = new Observer();
    const client = await mqtt.connectAsync(mqttUrl, {
      clientId: name,
      username: name,
      password,
      clean: true,
    });
    o.client = client;
    client.on('message', (topic, payload, packet) => {
      const address = parseTopic(topic);
      if (!address) return;
      const body = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
      o.seen.push({
        topic,
        machine: address.machine,
        kind: address.kind,
        bootId: String(body.bootId),
        seq: Number(body.seq),
        samples: Array.isArray(body.samples) ? body.samples.length : 0,
        retain: packet.retain,
        payload: body,
        n: o.seen.length,
        at: Date.now(),
      });
    });
    await client.subscribeAsync('sawbrain/v1/+/+/+', { qos: 1 });
    return o;
  }

  of(kind: string, machine?: string): Seen[] {
    return this.seen.filter((s) => s.kind === kind && (machine === undefined || s.machine === machine));
  }

  async stop(): Promise<void> {
    await this.client?.endAsync();
  }
}
