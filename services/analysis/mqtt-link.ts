import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import { fleetFilter, type MessageKind } from '../contracts/index.js';
import type { Logger } from '../core/logger.js';

/** Uplink kinds the analysis listens to (ACL: scope `analysis` may subscribe to uplinks). */
export const ANALYSIS_KINDS: readonly MessageKind[] = [
  'birth',
  'telemetry',
  'cut',
  'state',
  'alarm',
  'blade',
];

export interface LinkOptions {
  url: string;
  clientId: string;
  username: string;
  password: string;
  log: Logger;
  /** called once per message, one at a time; the PUBACK follows when it returns */
  onMessage: (topic: string, payload: Buffer) => void;
}

/**
 * The analysis service's MQTT client: a persistent session (clean: false) with QoS 1 fleet-wide
 * subscriptions to the uplink kinds, so the broker keeps what arrives while analysis is away.
 * Resolves on the first CONNACK.
 */
export function connectLink(o: LinkOptions): Promise<MqttClient> {
  const client = mqtt.connect(o.url, {
    clientId: o.clientId,
    username: o.username,
    password: o.password,
    clean: false,
    protocolVersion: 4,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
  });
  client.handleMessage = (packet: IPublishPacket, done: (err?: Error) => void) => {
    o.onMessage(packet.topic, packet.payload as Buffer);
    done();
  };
  client.on('connect', (connack) => {
    o.log.info({ sessionPresent: connack.sessionPresent }, 'connected to broker');
    if (connack.sessionPresent) return;
    const filters = Object.fromEntries(ANALYSIS_KINDS.map((k) => [fleetFilter(k), { qos: 1 as const }]));
    client.subscribe(filters, (err, granted) => {
      if (err) o.log.error({ err }, 'subscribe failed');
      else if (granted?.some((g) => g.qos === 128))
        o.log.error({ granted }, 'subscription refused by broker');
    });
  });
  client.on('error', (err) => o.log.warn({ err: err.message }, 'mqtt error'));
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', reject);
  });
}
