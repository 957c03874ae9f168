import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from '../../services/core/logger.js';
import type { EdgeMetrics } from '../metrics.js';
import { Backlog } from './backlog.js';
import type { OutboxRow, OutboxStore } from './store.js';
import { TokenBucket } from './token-bucket.js';

export type Lane = 'live' | 'backfill';

export interface UplinkOptions {
  url: string;
  clientId: string;
  username: string;
  password?: string;
  keepaliveS: number;
  connectTimeoutMs: number;
  reconnectMs: number;
  cleanSession: boolean;
  maxInflight: number;
  liveReserve: number;
  backfillRatePerSec: number;
  backfillBurst: number;
  backfillBytesPerSec?: number;
  /** topics to subscribe (QoS 1) on every connect: the machines' command topics */
  subscriptions: string[];
  outbox: OutboxStore;
  logger: Logger;
  metrics: EdgeMetrics;
  now: () => number;
  /** after CONNACK, before anything new is sent: the gateway enqueues the births */
  onConnect: () => void;
  onMessage: (topic: string, payload: Buffer) => void;
  mqtt?: Partial<IClientOptions>;
}

export interface UplinkStats {
  connected: boolean;
  connects: number;
  published: Record<Lane, number>;
  acked: Record<Lane, number>;
  inFlight: number;
  /** ids ≤ this were in the outbox when the link last came up: the backlog */
  backlogUpTo: number;
  backfillStartedAt: number | null;
  backfillDrainedAt: number | null;
  firstLiveAckAt: number | null;
}

const PAGE = 128;

/**
 * The uplink: one MQTT connection, QoS 1, and two lanes over the disk outbox. Whatever was in
 * the outbox when the link came up is the backlog (backfill lane, oldest first, paced by a token
 * bucket); whatever is numbered after is live (sent at once, first). Backfill never uses the
 * `liveReserve` last in-flight slots, so a backlog cannot starve live data. A row is deleted
 * only on its PUBACK; in flight at a disconnect, mqtt.js resends it after the reconnect.
 * Backlog messages go out without the retain flag: history must not replace the retained
 * current birth/state.
 */
export class Uplink {
  private client: MqttClient | undefined;
  readonly inFlight = new Set<number>();
  private readonly inFlightBackfill = new Set<number>();
  private liveCursor = 0;
  private readonly backlog: Backlog;
  private readonly bucket: TokenBucket;
  private readonly byteBucket: TokenBucket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private scheduled = false;
  private stopping = false;
  private readonly log: Logger;
  private readonly s: UplinkStats = {
    connected: false,
    connects: 0,
    published: { live: 0, backfill: 0 },
    acked: { live: 0, backfill: 0 },
    inFlight: 0,
    backlogUpTo: 0,
    backfillStartedAt: null,
    backfillDrainedAt: null,
    firstLiveAckAt: null,
  };

  constructor(private readonly o: UplinkOptions) {
    this.log = o.logger.child({ svc: 'uplink' });
    this.backlog = new Backlog(o.outbox);
    this.bucket = new TokenBucket(o.backfillRatePerSec, o.backfillBurst, o.now);
    if (o.backfillBytesPerSec) {
      this.byteBucket = new TokenBucket(
        o.backfillBytesPerSec,
        Math.max(o.backfillBytesPerSec, 65_536),
        o.now,
      );
    }
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  stats(): UplinkStats {
    return { ...this.s, connected: this.connected, inFlight: this.inFlight.size };
  }

  /** rows of the backlog still in the outbox */
  backlogRemaining(): number {
    return this.backlog.remaining();
  }

  /** Connects in the background (the gateway must run while the broker is unreachable). */
  start(): void {
    if (this.client) throw new Error('uplink already started');
    this.stopping = false;
    const o = this.o;
    const client = connect(o.url, {
      clientId: o.clientId,
      username: o.username,
      password: o.password,
      clean: o.cleanSession,
      protocolVersion: 4,
      keepalive: o.keepaliveS,
      connectTimeout: o.connectTimeoutMs,
      reconnectPeriod: o.reconnectMs,
      resubscribe: false,
      ...o.mqtt,
    });
    this.client = client;
    client.on('connect', () => this.onConnect(client));
    let quiet = false;
    client.on('close', () => {
      if (this.s.connected) this.log.warn('link down: buffering to the outbox');
      this.s.connected = false;
      o.metrics.linkUp.set(0);
    });
    // one warning per outage, the retries at debug level
    client.on('error', (err) => {
      if (quiet) this.log.debug({ err: err.message }, 'mqtt error');
      else this.log.warn({ err: err.message }, 'mqtt error (retrying quietly)');
      quiet = true;
    });
    client.on('connect', () => {
      quiet = false;
    });
    client.on('message', (topic, payload) => o.onMessage(topic, payload));
  }

  private onConnect(client: MqttClient): void {
    this.s.connected = true;
    this.s.connects++;
    this.o.metrics.linkUp.set(1);
    // everything already numbered is backlog; what comes next is live
    const upTo = this.o.outbox.maxId();
    const backlog = this.backlog.reset(upTo);
    this.s.backlogUpTo = upTo;
    this.liveCursor = upTo;
    this.s.backfillStartedAt = backlog > 0 ? this.o.now() : null;
    this.s.backfillDrainedAt = null;
    this.log.info({ backlog }, 'link up');
    if (this.o.subscriptions.length > 0) {
      client.subscribe(this.o.subscriptions, { qos: 1 }, (err) => {
        if (err) this.log.error({ err: err.message }, 'subscribe failed');
      });
    }
    this.o.onConnect();
    this.notify();
  }

  /** A message was committed to the outbox: send it (coalesced to one pump per tick). */
  notify(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    const client = this.client;
    if (!client?.connected || this.stopping) return;
    const max = this.o.maxInflight;
    // live lane first
    let liveWaiting = false;
    while (this.inFlight.size < max) {
      const rows = this.o.outbox.page(this.liveCursor, Number.MAX_SAFE_INTEGER, PAGE);
      if (rows.length === 0) break;
      for (const r of rows) {
        if (this.inFlight.size >= max) {
          liveWaiting = true;
          break;
        }
        this.liveCursor = r.id;
        if (!this.inFlight.has(r.id)) this.publish(client, r, 'live');
      }
      if (liveWaiting) break;
    }
    if (liveWaiting || this.backlog.done) return;
    // backfill lane: paced, never into the live reserve
    while (this.inFlight.size < max && this.inFlightBackfill.size < max - this.o.liveReserve) {
      const row = this.backlog.peek(this.inFlight);
      if (!row) break;
      const wait = Math.max(this.bucket.waitMs(1), this.byteBucket?.waitMs(row.bytes) ?? 0);
      if (wait > 0) {
        this.wakeIn(wait);
        break;
      }
      this.bucket.take(1);
      this.byteBucket?.take(row.bytes);
      this.backlog.take(row);
      this.inFlightBackfill.add(row.id);
      this.publish(client, row, 'backfill');
    }
    if (this.inFlightBackfill.size === 0 && this.backlog.settle()) {
      this.s.backfillDrainedAt = this.o.now();
      this.log.info({ ms: this.s.backfillDrainedAt - (this.s.backfillStartedAt ?? 0) }, 'backlog drained');
    }
  }

  private wakeIn(ms: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, ms);
  }

  private publish(client: MqttClient, r: OutboxRow, lane: Lane): void {
    this.inFlight.add(r.id);
    this.s.published[lane]++;
    this.o.metrics.published.inc({ lane });
    const retain = r.retain && lane === 'live';
    client.publish(r.topic, r.payload, { qos: 1, retain }, (err) => {
      this.inFlight.delete(r.id);
      this.inFlightBackfill.delete(r.id);
      if (err) {
        // stays in the outbox: the next connect sends it again as backlog
        this.log.debug({ err: err.message, id: r.id }, 'publish not acknowledged');
      } else {
        this.o.outbox.remove(r.id);
        this.s.acked[lane]++;
        this.o.metrics.acked.inc({ lane });
        if (lane === 'live' && this.s.firstLiveAckAt === null) this.s.firstLiveAckAt = this.o.now();
      }
      this.notify();
    });
  }

  /** Stops sending, waits up to `graceMs` for PUBACKs in flight, disconnects. Unsent rows stay on disk. */
  async stop(graceMs = 2000): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    const deadline = Date.now() + graceMs;
    while (client.connected && this.inFlight.size > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await client.endAsync(!client.connected || this.inFlight.size > 0);
    this.inFlight.clear();
    this.inFlightBackfill.clear();
    this.o.metrics.linkUp.set(0);
  }

  /** Drops the connection at once, no PUBACK awaited (a crash stand-in); rows stay on disk. */
  kill(): void {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.client?.end(true);
    this.client = undefined;
    this.inFlight.clear();
    this.inFlightBackfill.clear();
  }

  /** Waits (up to `ms`) until every live message numbered so far is acknowledged; false on timeout. */
  async flushLive(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    for (;;) {
      const pending = this.o.outbox.maxId() > this.liveCursor || this.inFlight.size > 0;
      if (!pending) return true;
      if (!this.connected || Date.now() >= deadline) return false;
      this.notify();
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
