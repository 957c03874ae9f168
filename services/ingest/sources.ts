import type { Aedes, AedesPublishPacket } from 'aedes';
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import { fleetFilter, UPLINK_KINDS } from '../contracts/index.js';
import type { Logger } from '../core/logger.js';

/**
 * Where ingest's messages come from. `accept` journals a message (with the others of the same
 * turn of the event loop) and calls `done` once it is on disk, or with the error if it could not
 * be written; the source acknowledges the message only when `done` is called without one.
 */
export type Accept = (topic: string, payload: Buffer, done: (err?: Error) => void) => void;

export interface MessageSource {
  readonly kind: 'mqtt' | 'in-process';
  start(accept: Accept): Promise<void>;
  stop(): Promise<void>;
}

const FILTERS = UPLINK_KINDS.map((k) => fleetFilter(k));

/**
 * A separate subscriber over MQTT: persistent session (clean: false), QoS 1. mqtt.js hands over
 * one message at a time and sends its PUBACK when `handleMessage`'s callback runs.
 */
export function mqttSource(opts: {
  url: string;
  clientId: string;
  username: string;
  password: string;
  logger: Logger;
}): MessageSource {
  let client: MqttClient | null = null;
  const log = opts.logger;
  return {
    kind: 'mqtt',
    async start(accept) {
      const c = mqtt.connect(opts.url, {
        clientId: opts.clientId,
        username: opts.username,
        password: opts.password,
        clean: false,
        protocolVersion: 4,
        reconnectPeriod: 1000,
        connectTimeout: 10_000,
      });
      c.handleMessage = (packet: IPublishPacket, done: (err?: Error) => void) =>
        accept(packet.topic, packet.payload as Buffer, done);
      c.on('connect', (connack) => {
        log.info({ sessionPresent: connack.sessionPresent }, 'connected to broker');
        if (connack.sessionPresent) return;
        const filters = Object.fromEntries(FILTERS.map((f) => [f, { qos: 1 as const }]));
        c.subscribe(filters, (err, granted) => {
          if (err) log.error({ err }, 'subscribe failed');
          else if (granted?.some((g) => g.qos === 128))
            log.error({ granted }, 'subscription refused by broker');
        });
      });
      c.on('error', (err) => log.warn({ err: err.message }, 'mqtt error'));
      c.on('offline', () => log.warn('broker offline; reconnecting'));
      client = c;
      await new Promise<void>((resolve, reject) => {
        const onConnect = () => {
          c.off('error', onError);
          resolve();
        };
        const onError = (err: Error) => {
          c.off('connect', onConnect);
          reject(err);
        };
        c.once('connect', onConnect);
        c.once('error', onError);
      });
    },
    async stop() {
      const c = client;
      client = null;
      await c?.endAsync();
    },
  };
}

/**
 * Ingest inside the broker's process: subscribes on the broker's emitter directly. aedes
 * acknowledges a device's QoS 1 publish only after every in-process listener called back, so
 * here the *device's* PUBACK waits until the message is journaled — and no second MQTT hop,
 * persistent-session bookkeeping or socket sits on the hot path.
 */
export function inProcessSource(aedes: Aedes, logger: Logger): MessageSource {
  let listener: ((packet: AedesPublishPacket, cb: (err?: Error) => void) => void) | null = null;
  return {
    kind: 'in-process',
    async start(accept) {
      const deliver = (packet: AedesPublishPacket, cb: (err?: Error) => void) =>
        accept(packet.topic, packet.payload as Buffer, cb);
      listener = deliver;
      await Promise.all(
        FILTERS.map((f) => new Promise<void>((resolve) => aedes.subscribe(f, deliver, () => resolve()))),
      );
      logger.info('subscribed in-process to the broker');
    },
    async stop() {
      const l = listener;
      listener = null;
      if (!l) return;
      await Promise.all(
        FILTERS.map((f) => new Promise<void>((resolve) => aedes.unsubscribe(f, l, () => resolve()))),
      );
    },
  };
}
