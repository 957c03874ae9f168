/**
 * Robust statistics used by every baseline: median, MAD, quantiles and the Theil–Sen slope.
 * Pure functions; inputs are never modified.
 */

/** 1.4826 × MAD estimates σ for normally distributed data. */
export const MAD_TO_SIGMA = 1.4826;

/** q-quantile (0..1) with linear interpolation; NaN for an empty list. */
export function quantile(values: readonly number[], q: number): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const pos = Math.min(n - 1, Math.max(0, q * (n - 1)));
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function median(values: readonly number[]): number {
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
