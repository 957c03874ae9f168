import { join } from 'node:path';
import type { Registry } from 'prom-client';
import type { Config } from '../core/config.js';
import { isSawBrainError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { StoreBatch, TelemetryStore } from '../core/ports.js';
import { convertRecord, reconvert, rejected } from './convert.js';
import { type Arrival, GroupCommit } from './group-commit.js';
import { type DeadLetterInput, IngestState } from './ingest-state.js';
import { type Cursor, Journal, type JournalRecord } from './journal.js';
import { type IngestMetrics, ingestMetrics } from './metrics.js';
import { MEASUREMENTS, scannedPoints } from './points.js';
import { RecordQueue } from './record-queue.js';
import { type QualityEvent, SequenceTracker } from './sequence.js';
import type { MessageSource } from './sources.js';

export interface IngestDeps {
  config: Config;
  store: TelemetryStore;
  logger: Logger;
  metrics: Registry;
  /** where messages come from: a separate MQTT subscriber, or in-process on the broker */
  source: MessageSource;
  /**
   * True while more urgent work in this process is behind (the warning engine): conversion then
   * waits, but never longer than MAX_DEFER_MS at a time, so ingest always moves on.
   */
  defer?: () => boolean;
}

/** What a batch keeps of one journal record once its points went into the store batch. */
interface Item {
  kind: string | null;
  samples: number;
  points: number;
  events: QualityEvent[];
}

/**
 * Records start … end of the journal, converted. The points themselves are in `store` (for
 * InfluxDB already line protocol), not kept here: a batch waiting for its write holds little
 * for the garbage collector. A batch the store rejects is re-read from the journal.
 */
interface Batch {
  items: Item[];
  store: StoreBatch;
  start: Cursor;
  end: Cursor;
  seq: ReturnType<SequenceTracker['takeDirty']>;
  dead: DeadLetterInput[];
}

/** A batch's store write in flight, and how it ended. */
interface Write {
  settled: boolean;
  failed: boolean;
  error: unknown;
  /** settles (never rejects) when the write has */
  done: Promise<void>;
}

const MAX_RECORDS_PER_BATCH = 20_000;
/** while a store write is in flight, records that arrived are converted this often */
const CONVERT_EVERY_MS = 20;
/**
 * Conversion runs in slices of at most this long, so that the broker (and anything else in the
 * process, e.g. the warning engine) is never held up by one big batch.
 */
const CONVERT_SLICE_MS = 5;
/** Conversion waits for more urgent work (IngestDeps.defer) at most this long at a time. */
const MAX_DEFER_MS = 20;
/** how often conversion asks again whether it may go on while it gives way */
const DEFER_POLL_MS = 2;

/**
 * The ingest service: consumes every machine's uplink topics (sources.ts: a persistent QoS 1
 * MQTT subscriber, or in-process on the broker when both share a process).
 *
 *   message ──► journal (group commit) ──► acknowledge   (PUBACK only once it is on disk)
 *              │
 *              └─► flusher: validate · (bootId, seq) · map to points ──► store.write ──► commit
 *
 * The journal is the spool: when the store is down the flusher backs off and the journal grows;
 * when it returns, the backlog drains in order. See docs/architecture.md.
 */
export class IngestService {
  private readonly log: Logger;
  private readonly m: IngestMetrics;
  private readonly journal: Journal;
  private readonly state: IngestState;
  private readonly tracker = new SequenceTracker();
  /** accepted, not yet journaled (nor acknowledged): the group of this turn of the event loop */
  private readonly arrivals: GroupCommit;
  /** journaled records not converted yet: in memory, or read back from disk */
  private readonly queue: RecordQueue;
  /** end of the last record converted (the start of the next batch) */
  private takenEnd: Cursor = { segment: 0, offset: 0 };
  /** built, not yet committed, in journal order */
  private pending: Batch[] = [];
  private readonly writes = new Map<Batch, Write>();
  private running = false;
  private loop: Promise<void> | null = null;
  private sleeper: { timer: NodeJS.Timeout; resolve: () => void } | null = null;
  private fsyncTimer: NodeJS.Timeout | null = null;
  private backoffMs = 0;
  private storeUp = true;
  private stopped = false;
  /** converted records not yet handed to a store write (grows until full or the store is idle) */
  private open: Batch | null = null;
  /** when the open batch got its first record (performance.now()) */
  private openSince = 0;
  /** when conversion last ran (performance.now()) */
  private lastFill = 0;
  /** the last `fill` gave way to more urgent work (the loop then waits a moment, not a turn) */
  private deferred = false;
  private readonly counts = {
    received: 0,
    samplesStored: 0,
    pointsStored: 0,
    deadLetters: 0,
    /** store writes that carried points (batches), for points-per-write figures */
    writes: 0,
  };

  constructor(private readonly deps: IngestDeps) {
    this.log = deps.logger.child({ svc: 'ingest' });
    this.m = ingestMetrics(deps.metrics);
    const dir = join(deps.config.dataDir, 'ingest');
    this.journal = new Journal({
      dir: join(dir, 'journal'),
      fsync: deps.config.ingest.fsync,
      onBackgroundError: (err) => this.log.error({ err }, 'journal fsync or segment deletion failed'),
    });
    this.arrivals = new GroupCommit(this.journal, {
      journaled: (group, ends, before) => this.journaled(group, ends, before),
      failed: (err, messages) =>
        this.log.error({ err, messages }, 'journal append failed; messages not acknowledged'),
    });
    this.state = new IngestState(join(dir, 'ingest.sqlite'));
    this.queue = new RecordQueue(this.journal, deps.config.ingest.memoryQueueBytes);
  }

  async start(): Promise<void> {
    const committed = this.state.cursor();
    this.journal.open(committed);
    if (this.journal.repairedBytes > 0)
      this.log.warn({ bytes: this.journal.repairedBytes }, 'journal tail repaired');
    this.tracker.restore(this.state.seqSnapshot());
    this.queue.startFrom(this.journal.committedCursor);
    this.takenEnd = this.journal.committedCursor;
    if (this.queue.fromDisk)
      this.log.info({ pendingBytes: this.journal.pendingBytes() }, 'replaying journal backlog');
    this.m.pendingBytes.set(this.journal.pendingBytes());
    if (this.deps.config.ingest.fsync === 'interval') {
      this.fsyncTimer = setInterval(() => this.journal.syncInBackground(), 100);
    }
    this.running = true;
    this.loop = this.flushLoop();
    await this.deps.source.start((topic, payload, done) => this.arrivals.add(topic, payload, done));
  }

  /** Stops receiving, drains what it can within `drainMs`, and closes. Undelivered data stays journaled. */
  async stop(drainMs = 5000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.deps.source.stop();
    this.arrivals.commit();
    const deadline = Date.now() + drainMs;
    while (this.hasBacklog() && this.storeUp && Date.now() < deadline) await sleep(20);
    this.running = false;
    this.wake();
    await this.loop;
    if (this.fsyncTimer) clearInterval(this.fsyncTimer);
    this.journal.close();
    this.state.close();
  }

  /** Resolves once everything received so far is in the store (tests, graceful shutdown). */
  async drained(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.hasBacklog()) {
      if (Date.now() > deadline) throw new Error('ingest did not drain in time');
      this.wake();
      await sleep(10);
    }
  }

  /** Dead letters kept with their reason (newest first). */
  deadLetters(limit = 100) {
    return this.state.deadLetters(limit);
  }

  stats() {
    return {
      ...this.counts,
      pendingBytes: this.journal.pendingBytes(),
      storeUp: this.storeUp,
      backlog: this.hasBacklog(),
    };
  }

  sequenceState(machine: string) {
    return this.tracker.state(machine);
  }

  private hasBacklog(): boolean {
    return this.arrivals.waiting > 0 || this.pending.length > 0 || this.open !== null || this.queue.waiting;
  }

  /** A group of accepted messages is journaled: count them and queue them for the flusher. */
  private journaled(group: readonly Arrival[], ends: readonly Cursor[], before: Cursor): void {
    this.m.received.inc(group.length);
    this.counts.received += group.length;
    let start = before;
    for (let i = 0; i < group.length; i++) {
      const a = group[i]!;
      this.queue.add(a.topic, a.payload, start, ends[i]!);
      start = ends[i]!;
    }
  }

  /**
   * Converts queued records into the open batch, up to `batchMaxPoints` points, for at most one
   * slice of time. Returns the open batch (null when nothing is queued or open).
   */
  private fill(): Batch | null {
    const started = performance.now();
    this.deferred = started - this.lastFill < MAX_DEFER_MS && this.deps.defer?.() === true;
    if (this.deferred) return this.open;
    this.lastFill = started;
    const maxPoints = this.deps.config.ingest.batchMaxPoints;
    const b = this.open ?? this.newBatch();
    let took = false;
    const now = Date.now();
    const until = performance.now() + CONVERT_SLICE_MS;
    while (
      b.store.points < maxPoints &&
      b.items.length < MAX_RECORDS_PER_BATCH &&
      (!took || performance.now() < until)
    ) {
      // small takes near the limit, so a batch overshoots it by at most about one record
      const room = Math.ceil((maxPoints - b.store.points) / 16);
      // (records read back from the journal come in bigger reads: each read is a file read)
      const step = this.queue.fromDisk ? 256 : 32;
      const records = this.queue.take(Math.min(step, room, MAX_RECORDS_PER_BATCH - b.items.length));
      if (records.length === 0) break;
      took = true;
      for (const record of records) this.convertInto(b, record, now);
    }
    if (took && !this.open) {
      this.open = b;
      this.openSince = performance.now();
    }
    return this.open;
  }

  private newBatch(): Batch {
    const start = this.takenEnd;
    return { items: [], store: this.deps.store.batch(), start, end: start, seq: [], dead: [] };
  }

  /** One record into the batch: its points to the store batch, or a dead letter. */
  private convertInto(b: Batch, record: JournalRecord, now: number): void {
    const c = convertRecord(record, this.tracker, now);
    let samples = c.samples;
    let points = 0;
    if (c.scanned) {
      const { tags, scan } = c.scanned;
      try {
        // all or nothing; a store without the scanned path gets points
        if (b.store.addSamples) b.store.addSamples('operations', MEASUREMENTS.telemetry, tags, scan);
        else b.store.add(scannedPoints(tags, scan));
        points += scan.samples;
      } catch (err) {
        if (!isSawBrainError(err, 'STORE_REJECTED')) throw err;
        b.dead.push(rejected(scannedPoints(tags, scan), err.message, record.end, now));
        samples = 0;
      }
    }
    if (c.points.length > 0) {
      try {
        b.store.add(c.points); // all or nothing
        points += c.points.length;
      } catch (err) {
        if (!isSawBrainError(err, 'STORE_REJECTED')) throw err;
        b.dead.push(rejected(c.points, err.message, record.end, now));
      }
    }
    b.items.push({ kind: c.kind, samples: points > 0 ? samples : 0, points, events: c.events });
    if (c.dead) b.dead.push(c.dead);
    b.end = record.end;
    this.takenEnd = record.end;
  }

  private isFull(b: Batch): boolean {
    return (
      b.store.points >= this.deps.config.ingest.batchMaxPoints || b.items.length >= MAX_RECORDS_PER_BATCH
    );
  }

  /** Closes the open batch: its `(bootId, seq)` changes go with it, in journal order. */
  private seal(): Batch {
    const b = this.open!;
    this.open = null;
    b.seq = this.tracker.takeDirty();
    return b;
  }

  /**
   * Builds batches in journal order and keeps up to `writeConcurrency` store writes in flight,
   * committing strictly in order. A full batch goes out at once; a partial one only when the store
   * is idle and its oldest record has waited `flushIntervalMs`; while a write is in flight,
   * further writes only start with full batches. So under load the batches grow to
   * `batchMaxPoints` (the store pays per request: InfluxDB syncs its WAL once per write), and at
   * low load a record waits at most about the flush interval plus one write. When a write fails,
   * every uncommitted batch is written again after a back-off: writes are idempotent, so a batch
   * that did land is simply overwritten with itself.
   */
  private async flushLoop(): Promise<void> {
    const depth = this.deps.config.ingest.writeConcurrency;
    while (this.running || this.pending.length > 0) {
      const flushMs = this.deps.config.ingest.flushIntervalMs;
      while (this.running && this.pending.length < depth) {
        const open = this.fill();
        if (!open) break;
        // a full batch goes at once; a partial one when the store is idle, nothing is left to
        // convert and its oldest record has waited the flush interval
        const due = performance.now() - this.openSince >= flushMs;
        if (!this.isFull(open) && (this.pending.length > 0 || this.queue.waiting || !due)) break;
        this.pending.push(this.seal());
      }
      // more to convert next turn; with every write slot taken nothing can be (spinning on the
      // next turn then would only burn CPU until a write settles)
      const more = this.running && this.queue.waiting && this.pending.length < depth && !this.deferred;
      const head = this.pending[0];
      if (!head) {
        if (!this.running) break;
        if (more) await yieldTurn();
        else if (this.deferred) await this.sleep(DEFER_POLL_MS);
        else if (this.open) await this.sleep(Math.max(1, flushMs - (performance.now() - this.openSince)));
        else await this.sleep(flushMs);
        continue;
      }
      for (const b of this.pending) {
        if (!this.writes.has(b)) this.writes.set(b, this.startWrite(b));
      }
      try {
        // while the head write is out, wake up now and then to convert what arrived meanwhile; its
        // settling wakes the loop (one reaction per write: a race per wake-up would pile them up)
        const write = this.writes.get(head)!;
        if (!write.settled) {
          await (more ? yieldTurn() : this.sleep(this.deferred ? DEFER_POLL_MS : CONVERT_EVERY_MS));
          if (!write.settled) continue;
        }
        if (write.failed) throw write.error;
        this.writes.delete(head);
        this.commit(head);
        this.pending.shift();
        this.backoffMs = 0;
        this.setStoreUp(true);
      } catch (err) {
        await Promise.allSettled([...this.writes.values()].map((w) => w.done));
        this.writes.clear();
        this.m.storeErrors.labels(isSawBrainError(err) ? err.code : 'UNKNOWN').inc();
        this.setStoreUp(false, err);
        if (!this.running) break; // shutting down: the batches stay journaled for the next start
        this.backoffMs = Math.min(this.deps.config.ingest.retryMaxMs, Math.max(100, this.backoffMs * 2));
        await this.sleep(this.backoffMs);
      }
    }
  }

  /** Starts a batch's store write; its settling is recorded on it and wakes the loop. */
  private startWrite(batch: Batch): Write {
    const w: Write = { settled: false, failed: false, error: undefined, done: Promise.resolve() };
    w.done = this.writeBatch(batch).then(
      () => {
        w.settled = true;
        this.wake();
      },
      (err: unknown) => {
        w.settled = true;
        w.failed = true;
        w.error = err;
        this.wake();
      },
    );
    return w;
  }

  private async writeBatch(batch: Batch): Promise<void> {
    if (batch.store.points === 0) return;
    this.counts.writes++;
    const timer = this.m.batchSeconds.startTimer();
    try {
      await batch.store.write();
    } catch (err) {
      if (!isSawBrainError(err, 'STORE_REJECTED')) throw err;
      await this.writeOneByOne(batch);
    } finally {
      timer();
    }
  }

  /**
   * A batch the store rejects as bad data: its records are read back from the journal (they stay
   * there until the batch commits), written one at a time, and the offending ones dead-lettered.
   */
  private async writeOneByOne(batch: Batch): Promise<void> {
    const now = Date.now();
    const records = this.journal.readCount(batch.start, batch.items.length);
    for (let i = 0; i < batch.items.length; i++) {
      const item = batch.items[i]!;
      if (item.points === 0) continue;
      const points = reconvert(records[i]!, item.events);
      try {
        await this.deps.store.write(points);
      } catch (err) {
        if (!isSawBrainError(err, 'STORE_REJECTED')) throw err;
        batch.dead.push(rejected(points, err.message, records[i]!.end, now));
        item.points = 0;
        item.samples = 0;
      }
    }
  }

  private commit(batch: Batch): void {
    this.state.commit(batch.end, batch.seq, batch.dead);
    this.journal.release(batch.end);
    let written = 0;
    for (const item of batch.items) {
      written += item.points;
      if (item.kind) this.m.messages.labels(item.kind).inc();
      this.m.samples.inc(item.samples);
      for (const e of item.events) this.m.quality.labels(e.type).inc();
    }
    for (const d of batch.dead) this.m.deadLetters.labels(d.reason).inc();
    this.m.points.inc(written);
    this.counts.pointsStored += written;
    this.counts.deadLetters += batch.dead.length;
    this.counts.samplesStored += batch.items.reduce((n, i) => n + i.samples, 0);
    this.m.pendingBytes.set(this.journal.pendingBytes());
  }

  private setStoreUp(up: boolean, err?: unknown): void {
    if (up !== this.storeUp) {
      if (up) this.log.info('store reachable again; draining journal');
      else this.log.warn({ err: (err as Error)?.message }, 'store write failed; spooling to journal');
    }
    this.storeUp = up;
    this.m.storeUp.set(up ? 1 : 0);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.sleeper = null;
        resolve();
      }, ms);
      this.sleeper = { timer, resolve };
    });
  }

  private wake(): void {
    if (this.sleeper) {
      clearTimeout(this.sleeper.timer);
      const { resolve } = this.sleeper;
      this.sleeper = null;
      resolve();
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Lets I/O and other work run before the loop continues. */
function yieldTurn(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}
