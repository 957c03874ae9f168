import type { Sample } from '../../contracts/index.js';
import type { FieldValue } from '../../core/ports.js';
import { floorTo, MINUTE_MS } from '../time.js';

/** kWh per kW·ms */
export const KWH_PER_KW_MS = 1 / 3_600_000;

/** Field name of the energy spent in a machine state: `kwh_running`, `kwh_blade_change`, … */
export const stateEnergyField = (state: string): string => `kwh_${state.replace(/-/g, '_')}`;

interface Bucket {
  start: number;
  n: number;
  sums: Record<string, number>;
  counts: Record<string, number>;
  energyKWh: number;
  byState: Record<string, number>;
  /** changed since last written */
  dirty: boolean;
}

/** How long a written minute is kept to absorb late samples (rewritten when they come). */
const KEEP_MS = 15 * MINUTE_MS;

/**
 * 1-minute downsampling of one machine's telemetry: the mean of every variable, the sample
 * count, and the energy Σ P·Δt (Δt = the machine's sample interval) split by machine state.
 * A minute is emitted once a later sample shows it is complete; late samples reopen it.
 */
export class MinuteBuckets {
  private readonly buckets = new Map<number, Bucket>();
  private latest = Number.NEGATIVE_INFINITY;

  add(sample: Sample, intervalMs: number, state: string): void {
    const start = floorTo(sample.ts, MINUTE_MS);
    let b = this.buckets.get(start);
    if (!b) {
      b = { start, n: 0, sums: {}, counts: {}, energyKWh: 0, byState: {}, dirty: true };
      this.buckets.set(start, b);
    }
    b.n++;
    b.dirty = true;
    const s = sample as Record<string, number | undefined>;
    for (const key in s) {
      if (key === 'ts') continue;
      const v = s[key];
      if (v === undefined) continue;
      b.sums[key] = (b.sums[key] ?? 0) + v;
      b.counts[key] = (b.counts[key] ?? 0) + 1;
    }
    const kwh = (sample.power ?? 0) * intervalMs * KWH_PER_KW_MS;
    b.energyKWh += kwh;
    const field = stateEnergyField(state);
    b.byState[field] = (b.byState[field] ?? 0) + kwh;
    if (sample.ts > this.latest) this.latest = sample.ts;
  }

  /** Fields of `telemetry_1m` for a bucket. */
  private fields(b: Bucket): Record<string, FieldValue> {
    const f: Record<string, FieldValue> = { n: b.n, energyKWh: b.energyKWh };
    for (const key in b.sums) f[key] = b.sums[key]! / b.counts[key]!;
    for (const key in b.byState) f[key] = b.byState[key]!;
    return f;
  }

  /**
   * Complete minutes not yet written (all dirty ones when `all`), as (ts, fields); forgets
   * minutes older than the keep window.
   */
  take(all: boolean, intervalMs: number): { ts: number; fields: Record<string, FieldValue> }[] {
    const out: { ts: number; fields: Record<string, FieldValue> }[] = [];
    for (const b of this.buckets.values()) {
      const complete = b.start + MINUTE_MS <= this.latest - intervalMs + 1;
      if (b.dirty && (all || complete)) {
        b.dirty = false;
        out.push({ ts: b.start, fields: this.fields(b) });
      }
      if (!b.dirty && b.start + MINUTE_MS + KEEP_MS < this.latest) this.buckets.delete(b.start);
    }
    return out.sort((a, b) => a.ts - b.ts);
  }
}

/**
 * The recent (ts, power) samples of a machine, to recompute a cut's energy from telemetry when
 * its cut record arrives. Kept for `keepMs` of device time.
 */
export class PowerTrail {
  private ts: number[] = [];
  private kw: number[] = [];
  private head = 0;

  constructor(private readonly keepMs: number) {}

  get latestTs(): number {
    return this.ts.length > this.head ? this.ts[this.ts.length - 1]! : Number.NEGATIVE_INFINITY;
  }

  /** Adds a sample; false when a sample with this ts is already there (a duplicate). */
  add(ts: number, kw: number): boolean {
    const n = this.ts.length;
    if (n > this.head && ts < this.ts[n - 1]!) {
      // late sample: insert in order (rare)
      let i = n;
      while (i > this.head && this.ts[i - 1]! > ts) i--;
      if (i > this.head && this.ts[i - 1] === ts) return false;
      this.ts.splice(i, 0, ts);
      this.kw.splice(i, 0, kw);
    } else if (n > this.head && ts === this.ts[n - 1]) {
      return false; // duplicate
    } else {
      this.ts.push(ts);
      this.kw.push(kw);
    }
    const cutoff = ts - this.keepMs;
    while (this.head < this.ts.length && this.ts[this.head]! < cutoff) this.head++;
    if (this.head > 4096 && this.head * 2 > this.ts.length) {
      this.ts = this.ts.slice(this.head);
      this.kw = this.kw.slice(this.head);
      this.head = 0;
    }
    return true;
  }

  /** Σ P·Δt over the samples in [from, to), kWh, and how many samples that was. */
  energy(from: number, to: number, intervalMs: number): { kWh: number; samples: number } {
    let lo = this.head;
    let hi = this.ts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ts[mid]! < from) lo = mid + 1;
      else hi = mid;
    }
    let kwMs = 0;
    let samples = 0;
    for (let i = lo; i < this.ts.length && this.ts[i]! < to; i++) {
      kwMs += this.kw[i]! * intervalMs;
      samples++;
    }
    return { kWh: kwMs * KWH_PER_KW_MS, samples };
  }
}
