import { MAD_TO_SIGMA, quantile } from './robust.js';

/**
 * A robust baseline of one feature: a bounded history of values (oldest half thinned when full,
 * so it reaches back in time at a coarser grain), summarised by its median and MAD.
 * Values that are far from the baseline (|z| > `learnZ`) are not learned: a developing fault
 * does not teach the baseline that it is normal.
 */
export interface BaselineOptions {
  /** values kept (default 1500) */
  capacity?: number;
  /** values needed before the baseline is used (default 30) */
  minCount?: number;
  /** values with |z| above this are not learned once ready (default 4) */
  learnZ?: number;
  /** σ floor relative to |median| (default 0.01) */
  relFloor?: number;
  /** σ floor in the feature's unit (default 0) */
  absFloor?: number;
}

export interface BaselineSnapshot {
  values: number[];
  n: number;
}

export class RobustBaseline {
  private values: number[] = [];
  private n = 0;
  private dirty = true;
  /** values learned since the summary was computed */
  private stale = 0;
  private med = Number.NaN;
  private sigma = Number.NaN;
  private readonly capacity: number;
  private readonly minCount: number;
  private readonly learnZ: number;
  private readonly relFloor: number;
  private readonly absFloor: number;

  constructor(o: BaselineOptions = {}) {
    this.capacity = o.capacity ?? 1500;
    this.minCount = o.minCount ?? 30;
    this.learnZ = o.learnZ ?? 4;
    this.relFloor = o.relFloor ?? 0.01;
    this.absFloor = o.absFloor ?? 0;
  }

  get count(): number {
    return this.n;
  }

  get ready(): boolean {
    return this.n >= this.minCount;
  }

  /** Learns `x` unless the baseline is ready and `x` is an outlier; returns whether it learned. */
  add(x: number): boolean {
    if (!Number.isFinite(x)) return false;
    if (this.ready && Math.abs(this.z(x)) > this.learnZ) return false;
    this.values.push(x);
    this.n++;
    // the summary is recomputed after ~2 % new values (always while still learning)
    if (++this.stale >= Math.max(1, this.values.length / 50) || !this.ready) this.dirty = true;
    if (this.values.length > this.capacity) {
      const half = Math.floor(this.values.length / 2);
      const thinned = this.values.slice(0, half).filter((_, i) => i % 2 === 0);
      this.values = thinned.concat(this.values.slice(half));
    }
    return true;
  }

  private refresh(): void {
    if (!this.dirty) return;
    this.dirty = false;
    this.stale = 0;
    this.med = quantile(this.values, 0.5);
    const dev = this.values.map((v) => Math.abs(v - this.med));
    const scale = MAD_TO_SIGMA * quantile(dev, 0.5);
    this.sigma = Math.max(scale, this.relFloor * Math.abs(this.med), this.absFloor, 1e-12);
  }

  get median(): number {
    this.refresh();
    return this.med;
  }

  /** Robust σ (with floors). */
  get scale(): number {
    this.refresh();
    return this.sigma;
  }

  z(x: number): number {
    this.refresh();
    return (x - this.med) / this.sigma;
  }

  /** The values kept (thinned history), for inspection. */
  snapshot(): BaselineSnapshot {
    return { values: [...this.values], n: this.n };
  }
}
