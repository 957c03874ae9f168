/**
 * Drift detectors on standardised residuals (z-scores against a robust baseline): a one-sided
 * CUSUM (Page 1954) and an EWMA. Both are tiny mutable records, reset when a rule clears.
 */

export interface Cusum {
  s: number;
}

/** Adds one z-score; returns the statistic. `k` is the allowance (half the shift to detect, in σ). */
export function cusumStep(c: Cusum, z: number, k: number): number {
  c.s = Math.max(0, c.s + z - k);
  return c.s;
}

export interface Ewma {
  value: number | null;
}

/** Exponentially weighted moving average with smoothing `lambda` (0..1]. */
export function ewmaStep(e: Ewma, x: number, lambda: number): number {
  e.value = e.value === null ? x : e.value + lambda * (x - e.value);
  return e.value;
}
