/**
 * Ports of the core: the rest of the system depends on these interfaces only; adapters at the
 * rim (stores/influx, stores/sqlite, …) implement them and the composition root picks one.
 */

/** The four logical databases of the sawing data brain. */
export const DATABASES = ['operations', 'supplychain', 'market', 'algorithms'] as const;
export type DatabaseName = (typeof DATABASES)[number];

export type FieldValue = number | string | boolean;

/**
 * One point, InfluxDB-style: a measurement, an indexed tag set and a field set at a time.
 * Identity is (db, measurement, tags, ts): writing the same identity again overwrites the
 * fields it carries (idempotent replay), exactly as InfluxDB does.
 */
export interface Point {
  db: DatabaseName;
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, FieldValue>;
  /** epoch milliseconds */
  ts: number;
}

export type Aggregate = 'mean' | 'min' | 'max' | 'sum' | 'count' | 'first' | 'last';

export interface SeriesQuery {
  db: DatabaseName;
  measurement: string;
  /** inclusive start, epoch ms */
  from: number;
  /** exclusive end, epoch ms */
  to: number;
  /** tag equality filters */
  where?: Record<string, string>;
  /** fields to return; all when omitted (raw queries only) */
  fields?: string[];
  /** aggregate function; with `every` it buckets by time, without it it aggregates the range */
  fn?: Aggregate;
  /** bucket width in ms, requires `fn` */
  every?: number;
  /** tag keys to group by (aggregates) */
  groupBy?: string[];
  limit?: number;
  order?: 'asc' | 'desc';
}

export interface SeriesRow {
  /** epoch ms: the point's time, or the bucket start for aggregates (range start without `every`) */
  ts: number;
  /** the point's tags (raw) or the group's tags (aggregates) */
  tags: Record<string, string>;
  values: Record<string, FieldValue | null>;
}

/** Points to delete: those of one measurement older than `before`, optionally of some series only. */
export interface DeleteQuery {
  db: DatabaseName;
  measurement: string;
  /** exclusive cutoff, epoch ms: points with ts < before are deleted */
  before: number;
  /** tag equality filters (non-empty values); all must match */
  where?: Record<string, string>;
}

export interface DeleteResult {
  /**
   * false when the backend cannot delete by time range (InfluxDB 3.x: only whole databases or
   * tables, or its retention period): nothing was deleted
   */
  supported: boolean;
  /** points deleted when the backend tells (SQLite); null when it does not (InfluxDB) */
  deleted: number | null;
}

/**
 * A write being put together ahead of time (ingest fills one per batch, message by message): the
 * store may encode points as they are added — InfluxDB keeps line-protocol text, not objects — so
 * a batch waiting for its turn is cheap to hold.
 */
export interface StoreBatch {
  /**
   * Adds points, all or none. A store that encodes on add rejects a point it would refuse here
   * (STORE_REJECTED, nothing kept); others find it in `write`.
   */
  add(points: readonly Point[]): void;
  /**
   * Adds scanned samples as points of `measurement` in `db` with `tags`: one point per sample, its
   * variables as the fields; all or none. Optional — for a store without it, ingest makes points.
   * InfluxDB copies each number's text from the message into line protocol as it is.
   */
  addSamples?(db: DatabaseName, measurement: string, tags: Record<string, string>, s: ScannedSamples): void;
  /** points added so far */
  readonly points: number;
  /** Writes everything added; durable once resolved. May be called again after a failure. */
  write(): Promise<void>;
}

/**
 * Samples read straight from a message's bytes, already validated (the standard's telemetry:
 * services/contracts/telemetry-scan.ts). Sample `s` has the timestamp `sampleTs[s]`, written as
 * the digits `bytes[tsStart[s], tsEnd[s])`, and the fields `fieldFrom[s]` ≤ f < `fieldFrom[s + 1]`.
 * Field `f` is the variable `names[variable[f]]` with the value `valueAt(f)`, written in the message
 * as `bytes[numStart[f], numEnd[f])`: a plain decimal (no exponent, not −0) when `plain[f]` is 1.
 */
export interface ScannedSamples {
  readonly bytes: Uint8Array;
  readonly names: readonly string[];
  readonly samples: number;
  readonly sampleTs: ArrayLike<number>;
  readonly tsStart: ArrayLike<number>;
  readonly tsEnd: ArrayLike<number>;
  readonly fieldFrom: ArrayLike<number>;
  readonly variable: ArrayLike<number>;
  valueAt(f: number): number;
  readonly numStart: ArrayLike<number>;
  readonly numEnd: ArrayLike<number>;
  readonly plain: ArrayLike<number>;
}

/** Where time series live: InfluxDB 1.x/2.x/3.x or the embedded SQLite store. */
export interface TelemetryStore {
  readonly kind: 'influx' | 'sqlite';
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Durable once resolved. Rejects with a StoreUnavailable error when the backend is down. */
  write(points: readonly Point[]): Promise<void>;
  /** An empty batch to fill and write later (see StoreBatch). */
  batch(): StoreBatch;
  query(q: SeriesQuery): Promise<SeriesRow[]>;
  /**
   * Deletes the points of `d.measurement` with ts < `d.before` (matching `d.where`); other
   * measurements and later points stay. QUERY_INVALID for a malformed request,
   * STORE_UNAVAILABLE when the backend is down. Bounded work per call on the embedded store
   * (chunks, yielding in between), so it does not stall writes.
   */
  deleteBefore(d: DeleteQuery): Promise<DeleteResult>;
  /** true when the backend answers */
  ping(): Promise<boolean>;
}

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
