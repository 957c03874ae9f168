import type { Aedes, AedesPublishPacket } from 'aedes';
import mqtt, { type IPublishPacket } from 'mqtt';
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

const FILTERS = ANALYSIS_KINDS.map((k) => fleetFilter(k));

interface RetainedStore {
  createRetainedStreamCombi(patterns: string[]): AsyncIterable<AedesPublishPacket>;
}

/**
 * How the analysis service meets the fleet: messages in (`onMessage`, which only queues them and
 * never throws), warnings out (`publish`, QoS 1, to a machine's `…/warning` topic).
 */
export interface AnalysisLink {
  readonly kind: 'mqtt' | 'in-process';
  publish(topic: string, payload: string): Promise<void>;
  close(): Promise<void>;
}

export interface LinkOptions {
  log: Logger;
  /** called once per message, in the broker's order; must be cheap and must not throw */
  onMessage: (topic: string, payload: Buffer) => void;
}

/**
 * A separate MQTT client: a persistent session (clean: false) with QoS 1 fleet-wide subscriptions
 * to the uplink kinds, so the broker keeps what arrives while analysis is away. The PUBACK goes
 * once the message is queued in the service (the queue is in memory, like the engine's state).
 * Resolves on the first CONNACK.
 */
export function connectLink(
  o: LinkOptions & { url: string; clientId: string; username: string; password: string },
): Promise<AnalysisLink> {
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
    o.log.info({ sessionPresent: connack.sessionPresent, transport: 'mqtt' }, 'connected to broker');
    if (connack.sessionPresent) return;
    const filters = Object.fromEntries(FILTERS.map((f) => [f, { qos: 1 as const }]));
    client.subscribe(filters, (err, granted) => {
      if (err) o.log.error({ err }, 'subscribe failed');
      else if (granted?.some((g) => g.qos === 128))
        o.log.error({ granted }, 'subscription refused by broker');
    });
  });
  client.on('error', (err) => o.log.warn({ err: err.message }, 'mqtt error'));
  const link: AnalysisLink = {
    kind: 'mqtt',
    publish: async (topic, payload) => {
      await client.publishAsync(topic, payload, { qos: 1 });
    },
    close: async () => {
      await client.endAsync();
    },
  };
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(link));
    client.once('error', reject);
  });
}

/**
 * Analysis inside the broker's process: listens on the broker's emitter directly (as ingest's
 * `inProcessSource` does), so no second MQTT hop, socket, persistent-session bookkeeping or
 * PUBACK round trip sits between a device and the engine. The listener only queues the message
 * and calls back at once: the device's PUBACK never waits for the analysis. Retained births and
 * states are replayed first, as a new MQTT subscription would receive them. Warnings go out
 * through the same broker (aedes `publish`, QoS 1), so subscribers see them as from any client.
 */
export async function inProcessLink(aedes: Aedes, o: LinkOptions): Promise<AnalysisLink> {
  const take = (topic: string, payload: Buffer | string) => {
    try {
      o.onMessage(topic, typeof payload === 'string' ? Buffer.from(payload) : payload);
    } catch (err) {
      o.log.error({ err, topic }, 'analysis could not queue a message; skipped');
    }
  };
  // aedes' persistence (memory or Redis) is not in its type declarations
  const persistence = (aedes as unknown as { persistence?: RetainedStore }).persistence;
  if (typeof persistence?.createRetainedStreamCombi === 'function') {
    for await (const p of persistence.createRetainedStreamCombi(FILTERS)) take(p.topic, p.payload);
  }
  const deliver = (packet: AedesPublishPacket, cb: () => void) => {
    take(packet.topic, packet.payload);
    cb();
  };
  await Promise.all(
    FILTERS.map((f) => new Promise<void>((resolve) => aedes.subscribe(f, deliver, () => resolve()))),
  );
  o.log.info({ transport: 'in-process' }, 'subscribed in-process to the broker');
  let open = true;
  return {
    kind: 'in-process',
    publish: (topic, payload) =>
      new Promise<void>((resolve, reject) => {
        aedes.publish(
          { cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: false, dup: false },
          (err) => (err ? reject(err) : resolve()),
        );
      }),
    close: async () => {
      if (!open) return;
      open = false;
      await Promise.all(
        FILTERS.map((f) => new Promise<void>((resolve) => aedes.unsubscribe(f, deliver, () => resolve()))),
      );
    },
  };
}
