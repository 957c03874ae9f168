import { median, quantile, type SlopeEstimate } from '../baselines/robust.js';

/** One completed cut on a blade, as the wear fit sees it. */
export interface WearPoint {
  ts: number;
  /** baseline key: material × section class */
  key: string;
  /** chipping steps confirmed on the blade before this cut: the trend's segment */
  seg?: number;
  /** equivalent area cut by this blade at the middle of this cut, cm² of the reference material */
  x: number;
  /** ln(specific cutting energy), steps (chipping) removed */
  y: number;
  areaCm2: number;
}

/**
 * Wear slope d ln(e_A) / d(equivalent area) over `points`: a fixed-effects Theil–Sen fit. Two cuts
 * make a pair only when they share a key (material × section class): their difference cancels the
 * material's level, so the fit has one intercept per key and a common slope. Nor do they pair
 * across a chipping step: the step is taken out of the trend only as well as it was measured (a
 * chip in the middle of a cut leaves that cut half-stepped), and what is left of it must not read
 * as a wear slope.
 */
export function wearSlope(
  points: readonly WearPoint[],
  minDx: number,
  maxPairs = 1500,
  minPairs = 3,
): SlopeEstimate | null {
  const n = points.length;
  const slopes: number[] = [];
  const total = (n * (n - 1)) / 2;
  const stride = Math.max(1, Math.floor(total / maxPairs));
  let k = 0;
  for (let i = 0; i < n; i++) {
    const a = points[i]!;
    for (let j = i + 1; j < n; j++) {
      if (k++ % stride !== 0) continue;
      const b = points[j]!;
      const dx = b.x - a.x;
      if (dx > minDx && a.key === b.key && a.seg === b.seg) slopes.push((b.y - a.y) / dx);
    }
  }
  if (slopes.length < Math.max(3, minPairs)) return null;
  return {
    slope: median(slopes),
    low: quantile(slopes, 0.25),
    high: quantile(slopes, 0.75),
    pairs: slopes.length,
  };
}
