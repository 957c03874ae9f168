import { z } from 'zod';
import { newStreak, round, stepStreak } from './common.js';
import { defineRule } from './types.js';

const Params = z.strictObject({
  /** recent wear slope / the blade's own earlier slope that counts as abnormal wear */
  ratio: z.number().min(1).default(2),
  /** … when the blade's consumed life is unknown (history before it was first seen) */
  ratioUnknownUse: z.number().min(1).default(2.6),
  /** recent slope / the machine's normal slope learned from its worn blades */
  ratioMachine: z.number().min(1).default(2),
  /** recent slope / the slope implied by the catalogue life (a coarser prior) */
  ratioCatalogue: z.number().min(1).default(3),
  /** lower quartile of the recent pairwise slopes / reference (the rise is not noise) */
  ratioLow: z.number().min(0).default(1.3),
  /**
   * a blade with an earlier slope of its own must also wear at least this much faster than it did
   * earlier to be judged against the machine's / catalogue's normal slope: a blade that wears the
   * same all along is not dulling abnormally now (0 = not required)
   */
  selfForNormal: z.number().min(0).default(0),
  clearRatio: z.number().min(0).default(1.4),
  /** beyond this share of the life used, a worn blade's wear accelerates normally: the ratios needed grow */
  maxUsed: z.number().min(0).max(2).default(0.75),
  /**
   * normal end-of-life speed-up of the wear slope: between `maxUsed` and the end of life (used = 1)
   * every ratio needed is multiplied by 1 + lateSpeedUp × (used − maxUsed) / (1 − maxUsed), so only
   * wear well beyond that normal acceleration counts; 0 = not judged beyond `maxUsed` at all
   */
  lateSpeedUp: z.number().min(0).default(0),
  /** not judged once this share of the life is used (the blade is due for a change anyway) */
  lateMaxUsed: z.number().min(0).max(2).default(1),
  forCount: z.number().int().min(1).default(2),
  clearCount: z.number().int().min(1).default(3),
});

/**
 * How much the needed ratios grow at this share of the life used: 1 up to `maxUsed`, then the
 * normal end-of-life acceleration of wear (linear to 1 + lateSpeedUp at used = 1); 0 when the blade
 * is not judged (beyond `lateMaxUsed`, or beyond `maxUsed` without a speed-up).
 */
export function lateFactor(
  used: number | undefined,
  p: { maxUsed: number; lateSpeedUp: number; lateMaxUsed: number },
): number {
  if (used === undefined || used < p.maxUsed) return 1;
  if (p.lateSpeedUp <= 0 || used >= p.lateMaxUsed) return 0;
  return 1 + (p.lateSpeedUp * (used - p.maxUsed)) / Math.max(1e-9, 1 - p.maxUsed);
}

/**
 * Abnormal blade wear (DOMAIN §2 dulling, §4): the specific cutting energy rises against the
 * equivalent area cut markedly faster than it did earlier on the same blade (or, without history,
 * than this machine's blades normally do). Carries the remaining life with its band.
 */
export const wearRate = defineRule({
  kind: 'wear-rate',
  description: 'wear slope of e_A against area above the blade’s earlier / the normal slope',
  params: Params,
  init: () => ({ streak: newStreak() }),
  onCut(st, ctx, e, p) {
    const life = e.life;
    if (!life || !e.f.cut.completed || e.wear?.inBreakIn) return;
    const usedKnown = life.used !== undefined;
    // against the blade's own earlier slope only when that slope is its own: an earlier trend below
    // the floor (flat, noisy) makes the 'self' ratio a comparison with a fraction of the normal
    // slope, which the normal test below already makes with its own, stricter ratio
    const self = life.selfFloored ? undefined : life.ratioSelf;
    const normal = life.ratioNormal;
    if (self === undefined && normal === undefined) return;
    const k = lateFactor(life.used, p);
    // faster than earlier on the same blade, or (also without history) far faster than normal
    const bySelf =
      self !== undefined &&
      self >= k * (usedKnown ? p.ratio : p.ratioUnknownUse) &&
      (life.ratioSelfLow ?? 0) >= k * p.ratioLow;
    const needNormal = life.normalSource === 'machine' ? p.ratioMachine : p.ratioCatalogue;
    // without its history a blade may be near its end, where wear accelerates normally: own slope only
    const byNormal =
      usedKnown &&
      normal !== undefined &&
      normal >= k * needNormal &&
      (life.ratioNormalLow ?? 0) >= k * p.ratioLow &&
      (self === undefined || self >= p.selfForNormal);
    const beyond = k > 0 && (bySelf || byNormal);
    const ratio = bySelf || normal === undefined ? self! : normal;
    const t = stepStreak(
      st.streak,
      beyond,
      Math.max(self ?? 0, (normal ?? 0) / 1.5) < p.clearRatio,
      p.forCount,
      p.clearCount,
    );
    if (t === 'raise' || (st.streak.on && ctx.active)) {
      const evidence = {
        wearSlopeRatio: round(ratio, 2),
        specificEnergyJcm2: round(e.f.eA, 1),
        reference: bySelf ? 'blade-earlier' : (life.normalSource ?? ''),
        bladeId: life.bladeId,
        bladeCuts: life.cuts,
        ...(life.rise !== undefined ? { energyRisePct: round(100 * (Math.exp(life.rise) - 1), 1) } : {}),
      };
      ctx.set(true, evidence, life.remaining);
    } else if (t === 'clear') ctx.set(false);
  },
  onBlade(st, ctx, b) {
    if (b.event !== 'dismount') return;
    st.streak = newStreak();
    ctx.set(false);
  },
});
