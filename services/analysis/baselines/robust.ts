/**
 * Robust statistics used by every baseline: median, MAD, quantiles and the Theil–Sen slope.
 * Pure functions; inputs are never modified.
 */

/** 1.4826 × MAD estimates σ for normally distributed data. */
export const MAD_TO_SIGMA = 1.4826;

/** q-quantile (0..1) with linear interpolation; NaN for an empty list. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  const pos = Math.min(n - 1, Math.max(0, q * (n - 1)));
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  const a = Float64Array.from(values);
  let a0: number;
  let a1: number;
  // the two order statistics by selection (linear on average) instead of a full sort: a rule
  // window's median per minute and machine is on the warning path; a NaN takes the sort, which
  // puts it last
  if (n < SELECT_FROM || hasNaN(a)) {
    a.sort();
    a0 = a[lo]!;
    a1 = a[hi]!;
  } else {
    a0 = select(a, lo);
    a1 = a0;
    // after the selection everything right of lo is ≥ a[lo]: the next order statistic is its minimum
    if (hi > lo) {
      a1 = a[hi]!;
      for (let i = hi + 1; i < n; i++) if (a[i]! < a1) a1 = a[i]!;
    }
  }
  return a0 + (a1 - a0) * (pos - lo);
}

function hasNaN(a: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (Number.isNaN(a[i])) return true;
  return false;
}

/** below this many values a sort is as fast as a selection */
const SELECT_FROM = 64;

/** The k-th smallest (0-based) of `a`, reordering `a` so that a[i] ≤ a[k] ≤ a[j] for i < k < j. */
function select(a: Float64Array, k: number): number {
  let left = 0;
  let right = a.length - 1;
  while (right > left) {
    // median of three as the pivot; a three-way partition, so that runs of equal readings (a
    // quantised or flat sensor) cost one pass, not one per value
    const x = a[left]!;
    const y = a[(left + right) >>> 1]!;
    const z = a[right]!;
    const pivot = Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
    let lt = left;
    let gt = right;
    let i = left;
    while (i <= gt) {
      const v = a[i]!;
      if (v < pivot) swap(a, i++, lt++);
      else if (v > pivot) swap(a, i, gt--);
      else i++;
    }
    // a[left..lt) < pivot, a[lt..gt] = pivot, a(gt..right] > pivot
    if (k < lt) right = lt - 1;
    else if (k > gt) left = gt + 1;
    else return pivot;
  }
  return a[k]!;
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

export function median(values: ArrayLike<number>): number {
  return quantile(values, 0.5);
}

/** Median absolute deviation from the median (unscaled). */
export function mad(values: readonly number[], center = median(values)): number {
  if (values.length === 0) return Number.NaN;
  return median(values.map((v) => Math.abs(v - center)));
}

/** σ estimate from the MAD. */
export function robustSigma(values: readonly number[], center = median(values)): number {
  return MAD_TO_SIGMA * mad(values, center);
}

export interface SlopeEstimate {
  slope: number;
  /** 25th and 75th percentile of the pairwise slopes: a robust uncertainty band */
  low: number;
  high: number;
  pairs: number;
}

/**
 * Theil–Sen slope over pairs (i, j) for which `pairable(i, j)` holds and x differs by at least
 * `minDx`. With `pairable` restricted to points of the same group the fit has one intercept per
 * group and a common slope (fixed-effects Theil–Sen). At most `maxPairs` pairs, taken evenly.
 */
export function theilSen(
  x: readonly number[],
  y: readonly number[],
  pairable: (i: number, j: number) => boolean = () => true,
  minDx = 0,
  maxPairs = 4000,
): SlopeEstimate | null {
  const n = Math.min(x.length, y.length);
  const total = (n * (n - 1)) / 2;
  const stride = Math.max(1, Math.floor(total / maxPairs));
  const slopes: number[] = [];
  let k = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (k++ % stride !== 0) continue;
      const dx = x[j]! - x[i]!;
      if (Math.abs(dx) <= minDx || !pairable(i, j)) continue;
      slopes.push((y[j]! - y[i]!) / dx);
    }
  }
  if (slopes.length === 0) return null;
  return {
    slope: median(slopes),
    low: quantile(slopes, 0.25),
    high: quantile(slopes, 0.75),
    pairs: slopes.length,
  };
}
