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
  clearRatio: z.number().min(0).default(1.4),
  /** not judged once this share of the life is used (a worn blade's wear accelerates normally) */
  maxUsed: z.number().min(0).max(2).default(0.75),
  forCount: z.number().int().min(1).default(2),
  clearCount: z.number().int().min(1).default(3),
});

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
    const self = life.ratioSelf;
    const normal = life.ratioNormal;
    if (self === undefined && normal === undefined) return;
    // faster than earlier on the same blade, or (also without history) far faster than normal
    const bySelf =
      self !== undefined &&
      self >= (usedKnown ? p.ratio : p.ratioUnknownUse) &&
      (life.ratioSelfLow ?? 0) >= p.ratioLow;
    const needNormal = life.normalSource === 'machine' ? p.ratioMachine : p.ratioCatalogue;
    // without its history a blade may be near its end, where wear accelerates normally: own slope only
    const byNormal =
      usedKnown && normal !== undefined && normal >= needNormal && (life.ratioNormalLow ?? 0) >= p.ratioLow;
    const early = !usedKnown || life.used! < p.maxUsed;
    const beyond = early && (bySelf || byNormal);
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
