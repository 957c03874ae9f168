import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from '../core/logger.js';
import type { FleetMachine } from './machines.js';
import { Outbox, type OutMessage } from './outbox.js';
import type { SawSimulator } from './saw-model.js';

export interface DeviceOptions {
  machine: FleetMachine;
  simulator: SawSimulator;
  brokerUrl: string;
  bootId: string;
  /** virtual time the device boots at (birth and will timestamps) */
  bootTs: number;
  samplesPerMessage: number;
  logger: Logger;
  connectTimeoutMs?: number;
  /** called once per publish when the broker acknowledged it (or it failed) */
  onPublished?: (msg: OutMessage, err?: Error) => void;
  /** extra mqtt.js options (e.g. reconnectPeriod, protocolVersion) */
  mqtt?: Partial<IClientOptions>;
}

/**
 * A SawSimulator speaking the sawing data standard over MQTT: its own credentials
 * (username = client id = machine id), a retained `state offline` last will, a retained birth
 * on every (re)connect, then telemetry batches and events, all QoS 1, `seq` +1 per message.
 */
export class SawDevice {
  readonly machineId: string;
  private readonly outbox: Outbox;
  private client: MqttClient | undefined;
  private stopped = false;
  private readonly log: Logger;

  constructor(private readonly o: DeviceOptions) {
    this.machineId = o.machine.machineId;
    this.outbox = new Outbox(o.machine.tenant, o.machine.machineId, o.bootId, o.samplesPerMessage);
    this.log = o.logger.child({ machineId: this.machineId });
  }

  get bootId(): string {
    return this.outbox.bootId;
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** Connects; resolves on the first CONNACK, rejects on timeout or refusal. */
  start(): Promise<void> {
    const will = this.outbox.will(this.o.bootTs);
    const client = connect(this.o.brokerUrl, {
      clientId: this.machineId,
      username: this.machineId,
      password: this.o.machine.password,
      clean: true,
      reconnectPeriod: 2000,
      connectTimeout: this.o.connectTimeoutMs ?? 10_000,
      will: { topic: will.topic, payload: Buffer.from(JSON.stringify(will.payload)), qos: 1, retain: true },
      ...this.o.mqtt,
    });
    this.client = client;
    client.on('connect', () => {
      this.log.debug('connected');
      this.publish(this.outbox.birth(this.o.simulator.birth(this.o.simulator.nextSampleTs)));
    });
    client.on('error', (err) => this.log.warn({ err: err.message }, 'mqtt error'));
    client.on('offline', () => {
      if (!this.stopped) this.log.warn('offline; mqtt.js keeps QoS 1 messages and reconnects');
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${this.machineId}: no CONNACK within ${this.o.connectTimeoutMs ?? 10_000} ms`));
      }, this.o.connectTimeoutMs ?? 10_000);
      const onConnect = () => {
        cleanup();
        resolve();
      };
      const onError = (err: Error) => {
        cleanup();
        reject(err);
      };
      const cleanup = () => {
        clearTimeout(timer);
        client.off('connect', onConnect);
        client.off('error', onError);
      };
      client.on('connect', onConnect);
      client.on('error', onError);
    });
  }

  /** Advances the simulator to virtual time `toMs` and publishes what it produced; returns messages queued. */
  pump(toMs: number): number {
    if (this.stopped) return 0;
    const messages = this.outbox.push(this.o.simulator.advance(toMs));
    for (const m of messages) this.publish(m);
    return messages.length;
  }

  private publish(m: OutMessage): void {
    const client = this.client;
    if (!client) return;
    client.publish(m.topic, JSON.stringify(m.payload), { qos: 1, retain: m.retain }, (err) => {
      if (err) this.log.warn({ err: err.message, topic: m.topic }, 'publish failed');
      this.o.onPublished?.(m, err ?? undefined);
    });
  }

  /** Graceful stop: flush the partial batch, publish state offline, disconnect (no will). */
  async stop(ts: number): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const client = this.client;
    if (!client) return;
    if (client.connected) {
      for (const m of [...this.outbox.flush(), this.outbox.offline(ts)]) this.publish(m);
    }
    await client.endAsync(!client.connected);
    this.client = undefined;
  }
}
