import { EventEmitter } from 'node:events';
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import { fleetFilter, type TopicAddress, validateTopicPayload } from '../contracts/index.js';
import type { Logger } from '../core/logger.js';

/** A validated downlink-side message the API cares about. */
export type LinkMessage =
  | { kind: 'command-ack'; address: TopicAddress; payload: import('../contracts/index.js').CommandAck }
  | { kind: 'state'; address: TopicAddress; payload: import('../contracts/index.js').State }
  | { kind: 'warning'; address: TopicAddress; payload: import('../contracts/index.js').Warning };

export interface BrokerLinkOptions {
  url: string;
  clientId: string;
  username: string;
  password: string;
  logger: Logger;
}

/**
 * The API's MQTT connection (service account with scopes `commander` + `ingest`): publishes
 * commands at QoS 1 and receives, validated against the standard, every machine's command
 * acknowledgements (QoS 1, persistent session: acks sent while the API is away are kept) and
 * states and warnings (QoS 0; states are retained, so the latest state of every machine arrives
 * on connect) for the live stream and the data brain map. Emits `message` (LinkMessage).
 */
export class BrokerLink extends EventEmitter<{ message: [LinkMessage]; connect: [] }> {
  private client: MqttClient | null = null;
  private readonly log: Logger;

  constructor(private readonly o: BrokerLinkOptions) {
    super();
    this.log = o.logger.child({ svc: 'api-link' });
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  async start(): Promise<void> {
    const client = mqtt.connect(this.o.url, {
      clientId: this.o.clientId,
      username: this.o.username,
      password: this.o.password,
      clean: false,
      protocolVersion: 4,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
    });
    this.client = client;
    client.handleMessage = (packet: IPublishPacket, done: (err?: Error) => void) => {
      this.receive(packet.topic, packet.payload as Buffer);
      done();
    };
    client.on('connect', () => {
      // always (re)subscribe: QoS 0 subscriptions are not worth a session of their own
      client.subscribe(
        {
          [fleetFilter('command-ack')]: { qos: 1 },
          [fleetFilter('state')]: { qos: 0 },
          [fleetFilter('warning')]: { qos: 0 },
        },
        (err, granted) => {
          if (err) this.log.error({ err }, 'subscribe failed');
          else if (granted?.some((g) => g.qos === 128)) this.log.error({ granted }, 'subscription refused');
          this.emit('connect');
        },
      );
    });
    client.on('error', (err) => this.log.warn({ err: err.message }, 'mqtt error'));
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (client) await client.endAsync();
  }

  /** Publishes at QoS 1; resolves on PUBACK. */
  publish(topic: string, payload: unknown): Promise<void> {
    const client = this.client;
    if (!client) return Promise.reject(new Error('broker link is not running'));
    return new Promise((resolve, reject) =>
      client.publish(topic, JSON.stringify(payload), { qos: 1 }, (err) => (err ? reject(err) : resolve())),
    );
  }

  private receive(topic: string, payload: Buffer): void {
    const { address, result } = validateTopicPayload(topic, payload);
    if (!address || !result.ok) return;
    if (result.kind !== 'command-ack' && result.kind !== 'state' && result.kind !== 'warning') return;
    try {
      this.emit('message', { kind: result.kind, address, payload: result.payload } as LinkMessage);
    } catch (err) {
      this.log.error({ err, topic }, 'link listener failed');
    }
  }
}
