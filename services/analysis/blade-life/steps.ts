import { robustSigma } from '../baselines/robust.js';
import type { BladeRecord } from './blade.js';

export interface StepOptions {
  /** smallest chipping step (ln e_A), default 0.04 */
  stepMin: number;
  /** step threshold in residual σ, default 5 */
  stepSigma: number;
  /** cuts a candidate step may wait for a confirming cut of a known section, default 6 */
  stepWait: number;
}

export interface StepVerdict {
  residual?: number;
  step?: { ts: number; size: number };
  /** the cut is a candidate step: hold it out of the trend until the next comparable cut */
  hold: boolean;
}

/** A cut's ln e_A and how uncertain its idle-power estimate makes it. */
export interface CutEnergy {
  lnEA: number;
  /**
   * relative standard error of e_A from the P_idle it was computed with (a few approach samples):
   * on slow cuts where cutting is a small share of the drive's power (nickel alloys, stainless)
   * a few tens of watts of idle-power noise move e_A by several per cent
   */
  relSe: number;
}

/** a step must stand this many standard errors of the idle-power noise above the last cut */
const IDLE_NOISE_Z = 3;

/** Same-section comparisons older than this many cuts are not trusted for steps. */
const MAX_AGE_CUTS = 40;

/**
 * Chipping steps (DOMAIN §4: "treat steps … as chipping, not wear"): a cut whose ln e_A jumps
 * above the level of the previous cut of the same exact section (else of the same material ×
 * section class, with a 1.5× threshold), beyond the wear trend in between, by more than
 * max(stepMin, stepSigma × residual σ, IDLE_NOISE_Z × the two cuts' idle-power noise) plus that
 * expected wear again is a candidate; the next comparable cut
 * confirms it (still above by half the step) or shows it was an outlier. Confirmed steps are
 * added to the blade's step offset, so the wear trend never sees them. A cut as far below the last
 * one of its exact section is held out of the trend (never a step).
 */
export function stepCheck(
  b: BladeRecord,
  keys: { section: string; cls: string },
  x: number,
  energy: CutEnergy,
  slope: number,
  ts: number,
  o: StepOptions,
): StepVerdict {
  // the same exact section, else the same material × section class (a coarser comparison)
  const fresh = (k: string) => {
    const last = b.lastByKey.get(k);
    return last && b.cuts - last.index <= MAX_AGE_CUTS ? last : undefined;
  };
  const bySection = fresh(keys.section);
  const last = bySection ?? fresh(keys.cls);
  const y = energy.lnEA - b.stepOffset;
  if (!last) {
    if (b.pendingStep && ++b.pendingStep.waited > o.stepWait) b.pendingStep = null;
    return { hold: false };
  }
  // wear between the two cuts may be up to twice the expected: a step must stand above that too
  const wear = slope * (x - last.point.x);
  const r = y - (last.point.y + wear);
  // the difference of two e_A carries both cuts' idle-power noise
  const idleNoise = Math.hypot(energy.relSe, last.energy.relSe);
  const verdict: StepVerdict = { residual: r, hold: false };
  const pending = b.pendingStep;
  if (pending) {
    b.pendingStep = null;
    // (a held cut far below its section's last one: dropped whatever the next cut shows)
    if (pending.size > 0 && r >= 0.5 * pending.size) {
      const size = (pending.size + r) / 2;
      b.stepOffset += size;
      b.steps.push({ ts: pending.ts, size });
      verdict.step = { ts: pending.ts, size };
      b.residuals.push(r - size);
      return verdict;
    }
  } else {
    const scale = Math.max(0.01, b.residuals.length >= 5 ? robustSigma(b.residuals) : 0.01);
    const threshold =
      (bySection ? 1 : 1.5) * Math.max(o.stepMin, o.stepSigma * scale, IDLE_NOISE_Z * idleNoise);
    // wear never lowers e_A: a cut far below the last one of the same section is held out too, so
    // a lone outlier does not become the level the next cut is judged against (and read as a
    // step up); a lasting lower level enters the trend from the next cut on
    if (r >= threshold + wear || (bySection && r <= -threshold)) {
      b.pendingStep = { ts, size: r, waited: 0 };
      verdict.hold = true;
      return verdict;
    }
  }
  b.residuals.push(r);
  if (b.residuals.length > 30) b.residuals.shift();
  return verdict;
}
