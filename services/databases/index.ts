import type { Registry } from 'prom-client';
import type { AnyMessage } from '../contracts/index.js';
import { validateTopicPayload } from '../contracts/index.js';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { Point, TelemetryStore } from '../core/ports.js';
import type { MessageSource } from '../ingest/index.js';
import type { Seeds } from '../seeds/index.js';
import type { LearnedState } from './algorithms/snapshot.js';
import { StreamBuilder } from './builder.js';
import { MachineDirectory, type RegisteredMachine } from './directory.js';
import { type DatabasesMetrics, databasesMetrics } from './metrics.js';
import { RawRetention, type RetentionResult } from './operations/retention.js';
import { DatabaseReader } from './reader.js';
import { referencePoints } from './reference.js';
import { type RollupResult, Rollups } from './rollups.js';
import { queryAll } from './store-read.js';

export type { LearnedState } from './algorithms/snapshot.js';
export { StreamBuilder } from './builder.js';
export { MachineDirectory, type MachineInfo, type RegisteredMachine } from './directory.js';
export { RawRetention, type RetentionResult } from './operations/retention.js';
export * from './read-api.js';
export { DatabaseReader } from './reader.js';
export { type RollupResult, Rollups } from './rollups.js';

export interface DatabasesDeps {
  config: Config;
  seeds: Seeds;
  logger: Logger;
  metrics: Registry;
  store: TelemetryStore;
  /**
   * where the fleet's messages come from (in-process on the broker, or MQTT); without one the
   * service is fed through accept() (replays of recorded or simulated streams)
   */
  source?: MessageSource;
  /** the machine registry (installed base of record); seeds' demo fleet otherwise */
  registry?: {
    get(id: string): RegisteredMachine | null;
    list(filter?: { includeRevoked?: boolean }): RegisteredMachine[];
  };
  /** the analysis service's learned state, when it runs in this process */
  learned?: () => LearnedState | undefined;
}

/** Points held in memory while the store is down; beyond this the oldest are dropped (and counted). */
const MAX_QUEUE = 2_000_000;
const BATCH = 5000;

/**
 * The databases service: subscribes to the fleet's uplink, builds the operations, supply-chain,
 * market and algorithms databases as messages arrive (StreamBuilder) and in periodic rollups
 * (Rollups), and writes them through the TelemetryStore port. `reader` is the typed read side
 * (DatabasesReadApi) for the HTTP API. Nothing here may throw into the broker: a bad message is
 * counted and skipped, a store outage is retried with back-off.
 */
export class DatabasesService {
  readonly directory: MachineDirectory;
  readonly builder: StreamBuilder;
  readonly rollups: Rollups;
  readonly reader: DatabaseReader;
  readonly retention: RawRetention;
  private readonly log: Logger;
  private readonly m: DatabasesMetrics;
  private queue: Point[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private running = false;
  private backoffMs = 0;
  private retryAt = 0;
  private written = 0;
  private setAside = 0;
  private lastError: string | undefined;
  private lastRollup: RollupResult | undefined;
  private lastRetention: RetentionResult | undefined;

  constructor(private readonly deps: DatabasesDeps) {
    const c = deps.config.databases;
    this.log = deps.logger.child({ svc: 'databases' });
    this.m = databasesMetrics(deps.metrics);
    this.directory = new MachineDirectory(deps.seeds, deps.registry);
    this.builder = new StreamBuilder(this.directory, {
      seeds: deps.seeds,
      gridKgPerKWh: c.gridKgPerKWh,
      silenceMs: c.silenceS * 1000,
    });
    this.rollups = new Rollups({
      seeds: deps.seeds,
      store: deps.store,
      builder: this.builder,
      directory: this.directory,
      gridKgPerKWh: c.gridKgPerKWh,
      minBucket: c.minBucket,
      horizonDays: c.forecastHorizonDays,
      snapshotEveryMs: c.snapshotEveryMinutes * 60_000,
      ...(deps.learned ? { learned: deps.learned } : {}),
      onWrite: (points) => this.count(points),
    });
    this.retention = new RawRetention({
      store: deps.store,
      builder: this.builder,
      rawRetentionDays: c.rawRetentionDays,
      logger: this.log,
      metrics: this.m,
    });
    this.reader = new DatabaseReader({
      store: deps.store,
      directory: this.directory,
      seeds: deps.seeds,
      minBucket: c.minBucket,
    });
  }

  async start(): Promise<void> {
    this.running = true;
    // reference data of seeds/, idempotent (rewritten in place); queued if the store is down
    this.enqueue(referencePoints(this.deps.seeds));
    await this.resume();
    await this.deps.source?.start((topic, payload, done) => {
      this.accept(topic, payload);
      done();
    });
    this.flushTimer = setInterval(() => this.kick(), 200);
    this.timer = setInterval(() => void this.rollup(), this.deps.config.databases.rollupIntervalMs);
    this.log.info(
      { source: this.deps.source?.kind ?? 'replay' },
      'building the four databases from the fleet',
    );
  }

  /** Continues every machine's timeline and mounted blade from the last checkpoint in the store. */
  private async resume(): Promise<void> {
    try {
      const rows = await this.deps.store.query({
        db: 'operations',
        measurement: 'machine_checkpoint',
        from: 0,
        to: 1,
      });
      const n = this.builder.restore(rows);
      for (const book of this.builder.allBooks()) {
        const samples = await queryAll(this.deps.store, {
          db: 'operations',
          measurement: 'telemetry',
          from: book.resumeFrom,
          to: book.lastSeen + 1,
          where: { tenant: book.info.tenant, machine: book.info.machineId },
        });
        book.prefill(
          samples.map((r) => ({
            ...Object.fromEntries(Object.entries(r.values).filter(([, v]) => typeof v === 'number')),
            ts: r.ts,
          })),
        );
      }
      if (n > 0) this.log.info({ machines: n }, 'resumed from checkpoints');
    } catch (err) {
      // a store that is down now: the timelines start afresh when data comes
      this.log.warn({ err: (err as Error).message }, 'checkpoints not read; starting afresh');
    }
  }

  /** Stops the source, writes what is queued and runs a final rollup (open periods included). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.timer = this.flushTimer = null;
    await this.deps.source?.stop();
    try {
      await this.rollup(true);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'final rollup failed');
    }
  }

  /** One message from the source; never throws (the broker's PUBACK must not wait on us failing). */
  accept(topic: string, payload: Buffer): void {
    const { address, result } = validateTopicPayload(topic, payload);
    if (!address || !result.ok) {
      this.m.invalid.labels(result.ok ? 'topic' : result.reason).inc();
      this.setAside++;
      return;
    }
    this.m.messages.labels(result.kind).inc();
    try {
      const points = this.builder.handle(address, {
        kind: result.kind,
        payload: result.payload,
      } as AnyMessage);
      this.enqueue(points);
    } catch (err) {
      this.m.errors.inc();
      this.setAside++;
      this.log.error({ err, topic }, 'databases failed on a message; skipped');
    }
  }

  private enqueue(points: Point[]): void {
    if (points.length === 0) return;
    this.queue.push(...points);
    if (this.queue.length > MAX_QUEUE) {
      const drop = this.queue.length - MAX_QUEUE;
      this.queue.splice(0, drop);
      this.m.dropped.inc(drop);
    }
    this.m.queued.set(this.queue.length);
  }

  /** Serialises store work: queued writes and rollups never interleave. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work, work);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private kick(): void {
    if (this.queue.length === 0 || Date.now() < this.retryAt) return;
    void this.serial(() => this.drain()).catch(() => undefined);
  }

  /** Writes the queue in batches; on failure keeps it and backs off (100 ms doubling to 10 s). */
  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, BATCH);
      try {
        await this.deps.store.write(batch);
      } catch (err) {
        this.m.writeErrors.inc();
        this.backoffMs = Math.min(10_000, Math.max(100, this.backoffMs * 2));
        this.retryAt = Date.now() + this.backoffMs;
        this.log.warn(
          { err: (err as Error).message, retryMs: this.backoffMs },
          'store write failed; will retry',
        );
        throw err;
      }
      this.queue.splice(0, batch.length);
      this.backoffMs = 0;
      this.written += batch.length;
      this.count(batch);
      this.m.queued.set(this.queue.length);
    }
  }

  private count(points: readonly Point[]): void {
    const byDb = new Map<string, number>();
    for (const p of points) byDb.set(p.db, (byDb.get(p.db) ?? 0) + 1);
    for (const [db, n] of byDb) this.m.points.labels(db).inc(n);
  }

  /**
   * Writes what is queued, then runs the rollups at the fleet's device time. `final` closes the
   * open periods too (shutdown, end of a replay). Resolves with what the run did.
   */
  rollup(final = false): Promise<RollupResult | undefined> {
    return this.serial(async () => {
      const started = performance.now();
      try {
        await this.drain();
        const res = await this.rollups.run(final);
        this.written += res.points;
        this.lastRollup = res;
        this.m.rollups.labels('ok').inc();
        await this.retain();
        return res;
      } catch (err) {
        this.m.rollups.labels('failed').inc();
        this.lastError = (err as Error).message;
        this.log.warn({ err: (err as Error).message }, 'rollup failed; the next one catches up');
        return undefined;
      } finally {
        this.m.rollupSeconds.observe((performance.now() - started) / 1000);
      }
    });
  }

  /**
   * Raw-telemetry retention, right after a successful rollup (which wrote every machine's
   * 1-minute downsample up to the horizon); a failure is logged and retried at the next rollup.
   */
  private async retain(): Promise<void> {
    if (!this.retention.enabled) return;
    try {
      this.lastRetention = await this.retention.run();
    } catch (err) {
      this.lastError = `retention: ${(err as Error).message}`;
    }
  }

  stats() {
    return {
      machines: this.builder.allBooks().length,
      queued: this.queue.length,
      /** points written by this service (stream and rollups) */
      pointsWritten: this.written,
      /** messages not built into the databases (not the standard, or the builder failed) */
      setAside: this.setAside,
      horizon: this.builder.horizon,
      lastRollup: this.lastRollup,
      lastRetention: this.lastRetention,
      lastError: this.lastError,
    };
  }
}
