import type { SlopeEstimate } from '../baselines/robust.js';
import { type WearPoint, wearSlope } from './slopes.js';

export interface WindowOptions {
  /** the recent window spans at least this share of the expected life … */
  lifeFraction: number;
  /** … and at least this many cuts (also the window when the life is unknown) */
  minPoints: number;
  /** at most this many cuts per window */
  maxPoints: number;
  /** a slope is compared (abnormal wear) only when it rests on this many pairs of comparable cuts */
  minPairs: number;
}

/** Pairs of cuts closer than this share of the window's span carry no slope information. */
const MIN_PAIR_SPAN = 0.3;

/** Index where the recent window starts: back from the end until it spans enough area and cuts. */
export function recentStart(
  points: readonly WearPoint[],
  life: number | undefined,
  o: WindowOptions,
): number {
  const n = points.length;
  const span = life ? o.lifeFraction * life : 0;
  let i = n - 1;
  while (i > 0 && n - i < o.maxPoints && (n - i < o.minPoints || points[n - 1]!.x - points[i]!.x < span)) i--;
  return i;
}

/** Slopes of the recent window and of the steady part before it on the same blade. */
export function windowSlopes(points: readonly WearPoint[], life: number | undefined, o: WindowOptions) {
  const start = recentStart(points, life, o);
  const recentPts = points.slice(start);
  const enough = (pts: readonly WearPoint[]) =>
    pts.length >= o.minPoints && (!life || pts[pts.length - 1]!.x - pts[0]!.x >= 0.5 * o.lifeFraction * life);
  const minDx = (pts: readonly WearPoint[]) => MIN_PAIR_SPAN * (pts[pts.length - 1]!.x - pts[0]!.x);
  const recent: SlopeEstimate | null = enough(recentPts) ? wearSlope(recentPts, minDx(recentPts)) : null;
  const before = points.slice(Math.max(0, start - 2 * o.maxPoints), start);
  const earlier: SlopeEstimate | null = enough(before) ? wearSlope(before, minDx(before)) : null;
  return { recent, earlier };
}
