import type { SlopeEstimate } from '../baselines/robust.js';
import type { RemainingLife } from '../types.js';
import type { BladeRecord } from './blade.js';
import type { BladeTracker } from './tracker.js';

/** The earlier-slope reference is floored at this share of the normal slope. */
const MIN_REF_OF_NORMAL = 0.6;

/** The mounted blade's state of wear and what is left of it (DOMAIN §4). */
export interface BladeLifeEstimate {
  bladeId: string;
  knownFromNew: boolean;
  cuts: number;
  areaCm2: number;
  /** ln rise of e_A since run-in, when known */
  rise?: number;
  /** consumed share of the life, 0..1+ */
  used?: number;
  /** recent wear slope / the blade's own earlier slope (and the lower quartile of the recent one / it) */
  ratioSelf?: number;
  ratioSelfLow?: number;
  /**
   * the blade's earlier slope was below the floor (a fraction of the normal slope), so ratioSelf
   * compares with that floor, not with the blade's own history
   */
  selfFloored?: boolean;
  /** recent wear slope / the machine's normal (or catalogue) slope */
  ratioNormal?: number;
  ratioNormalLow?: number;
  normalSource?: string;
  remaining?: RemainingLife;
  steps: number;
}

/**
 * Extrapolates the wear trend to the end-of-life rise: remaining equivalent area at the recent
 * slope (not slower than the normal one), converted to cm² of the material being cut and to cuts
 * of the recent typical size; the band comes from the interquartile range of the pairwise slopes.
 */
export function estimateLife(t: BladeTracker, b: BladeRecord, lifeFactor: number): BladeLifeEstimate {
  const est: BladeLifeEstimate = {
    bladeId: b.id,
    knownFromNew: b.knownFromNew,
    cuts: b.cuts,
    areaCm2: b.areaCm2,
    steps: b.steps.length,
  };
  const slopes = t.slopes(b);
  // the ratios judge abnormal wear: only on slopes with enough pairs (a few pairs, e.g. right after
  // a chipping step or a job change, give a slope but no trustworthy one); the remaining life
  // below still extrapolates whatever recent slope there is
  const sure = (s: SlopeEstimate | null) => (s && s.pairs >= t.o.minPairs ? s : null);
  const recent = sure(slopes.recent);
  const earlier = sure(slopes.earlier);
  const normal = t.normalSlope(b);
  // the blade's own earlier slope, but never below a fraction of the normal one (noise early on)
  const ref = earlier ? Math.max(earlier.slope, (normal?.slope ?? 0) * MIN_REF_OF_NORMAL) : 0;
  if (recent && ref > 0) {
    est.ratioSelf = recent.slope / ref;
    est.ratioSelfLow = recent.low / ref;
    est.selfFloored = earlier !== null && ref > earlier.slope;
  }
  if (recent && normal && normal.slope > 0) {
    est.ratioNormal = recent.slope / normal.slope;
    est.ratioNormalLow = recent.low / normal.slope;
    est.normalSource = normal.source;
  }
  const rise = t.rise(b);
  if (rise === undefined) return est;
  const eol = t.endOfLife;
  est.rise = rise;
  est.used = Math.max(0, rise / eol);
  const latest = slopes.recent;
  const slope = Math.max(latest?.slope ?? 0, normal?.slope ?? 0);
  if (!(slope > 0)) return est;
  const left = Math.max(0, eol - rise);
  const toArea = (s: number) => (left / Math.max(s, 1e-12)) * lifeFactor;
  const areaCm2 = toArea(slope);
  const hi = latest && latest.high > slope ? latest.high : slope * 1.3;
  const lo = latest && latest.low > 0 && latest.low < slope ? latest.low : slope / 1.3;
  const perCut = b.typicalCutCm2;
  est.remaining = {
    areaCm2: Math.round(areaCm2),
    cuts: perCut > 0 ? Math.floor(areaCm2 / perCut) : 0,
    percent: Math.round(Math.min(100, Math.max(0, 100 * (1 - est.used))) * 10) / 10,
    lowCm2: Math.round(toArea(hi)),
    highCm2: Math.round(Math.min(toArea(lo), 5 * areaCm2 + 1)),
  };
  return est;
}
