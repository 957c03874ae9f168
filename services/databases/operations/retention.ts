import type { Logger } from '../../core/logger.js';
import type { TelemetryStore } from '../../core/ports.js';
import type { StreamBuilder } from '../builder.js';
import type { DatabasesMetrics } from '../metrics.js';
import { DAY_MS, floorTo, HOUR_MS, MINUTE_MS } from '../time.js';

/** The raw measurement whose retention the databases enforce (one point per sample). */
export const RAW_TELEMETRY = 'telemetry';

export interface RetentionOptions {
  store: TelemetryStore;
  builder: StreamBuilder;
  /** device-time days of raw telemetry kept; 0 = keep forever */
  rawRetentionDays: number;
  logger: Logger;
  metrics: DatabasesMetrics;
  /** least advance of a machine's cutoff worth a delete (device time); 1 h by default */
  stepMs?: number;
}

export interface RetentionResult {
  /** machines whose raw telemetry was cut back */
  machines: number;
  /** points deleted, when the store tells (SQLite); null when it does not (InfluxDB) */
  deleted: number | null;
  /** earliest cutoff applied this run (epoch ms, device time) */
  cutoff: number | null;
  /** false when the store cannot delete by time (InfluxDB 3.x) */
  supported: boolean;
}

/**
 * Retention of raw telemetry (`operations.telemetry`): after a rollup has written every
 * machine's 1-minute downsample (`telemetry_1m`), each machine's raw samples older than
 * `rawRetentionDays` of fleet device time are deleted, per machine, but never past
 * - the start of the minute the machine's latest sample is in (minutes still open), and
 * - where a restarted service re-reads raw samples (`MachineBook.resumeFrom`: the open minute,
 *   cuts still waiting for their telemetry, the running span),
 * so no raw data is deleted before it is downsampled or while it is still needed. Only
 * `telemetry` is touched: `telemetry_1m`, cuts, states, the ledger and every rollup stay.
 */
export class RawRetention {
  /** per machine: the cutoff last applied */
  private readonly done = new Map<string, number>();
  private unsupportedLogged = false;
  private readonly log: Logger;
  private readonly stepMs: number;
  private readonly keepMs: number;

  constructor(private readonly o: RetentionOptions) {
    this.log = o.logger.child({ part: 'retention' });
    this.stepMs = o.stepMs ?? HOUR_MS;
    this.keepMs = o.rawRetentionDays * DAY_MS;
  }

  /** The cutoff last applied per machine (epoch ms, device time). */
  applied(): ReadonlyMap<string, number> {
    return this.done;
  }

  get enabled(): boolean {
    return this.o.rawRetentionDays > 0;
  }

  /** The cutoff for one machine at fleet device time `horizon` (exclusive, minute-aligned). */
  cutoffFor(book: { lastSeen: number; resumeFrom: number }, horizon: number): number {
    const byAge = horizon - this.keepMs;
    const downsampled = floorTo(book.lastSeen, MINUTE_MS);
    return floorTo(Math.min(byAge, downsampled, book.resumeFrom), MINUTE_MS);
  }

  /**
   * Deletes what is due. Call only after the rollup that wrote the downsample succeeded.
   * Throws when the store fails (the next run catches up: cutoffs are only remembered once applied).
   */
  async run(horizon: number = this.o.builder.horizon): Promise<RetentionResult> {
    const res: RetentionResult = { machines: 0, deleted: 0, cutoff: null, supported: true };
    if (!this.enabled || !Number.isFinite(horizon)) return res;
    const { store, metrics: m } = this.o;
    const started = Date.now();
    try {
      for (const book of this.o.builder.allBooks()) {
        if (!Number.isFinite(book.lastSeen)) continue;
        const id = book.info.machineId;
        const cutoff = this.cutoffFor(book, horizon);
        const last = this.done.get(id);
        if (last !== undefined && cutoff - last < this.stepMs) continue;
        const r = await store.deleteBefore({
          db: 'operations',
          measurement: RAW_TELEMETRY,
          before: cutoff,
          where: { tenant: book.info.tenant, machine: id },
        });
        if (!r.supported) {
          res.supported = false;
          res.deleted = null;
          break;
        }
        this.done.set(id, cutoff);
        res.machines++;
        res.cutoff = res.cutoff === null ? cutoff : Math.min(res.cutoff, cutoff);
        if (r.deleted === null) res.deleted = null;
        else if (res.deleted !== null) res.deleted += r.deleted;
        if (r.deleted !== null) m.retentionDeleted.labels(RAW_TELEMETRY).inc(r.deleted);
      }
    } catch (err) {
      m.retentionRuns.labels('failed').inc();
      this.log.warn({ err: (err as Error).message }, 'raw telemetry retention failed; the next run retries');
      throw err;
    }
    if (!res.supported) {
      m.retentionRuns.labels('unsupported').inc();
      if (!this.unsupportedLogged) {
        this.unsupportedLogged = true;
        this.log.warn(
          { days: this.o.rawRetentionDays },
          'the store cannot delete by time (InfluxDB 3.x): raw telemetry is kept until the retention ' +
            'period of its database or table expires it (see docs/databases.md, Retention)',
        );
      }
      return res;
    }
    m.retentionRuns.labels('ok').inc();
    m.retentionLastRun.set(Date.now() / 1000);
    if (res.cutoff !== null) m.retentionCutoff.set(res.cutoff / 1000);
    if (res.machines > 0) {
      this.log.info(
        {
          machines: res.machines,
          deleted: res.deleted,
          cutoff: new Date(res.cutoff!).toISOString(),
          ms: Date.now() - started,
        },
        'raw telemetry past retention deleted',
      );
    }
    return res;
  }
}
