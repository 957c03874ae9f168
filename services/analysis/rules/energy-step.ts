import { z } from 'zod';
import { round } from './common.js';
import { defineRule } from './types.js';

const Params = z.strictObject({
  /** smallest step of e_A between consecutive cuts that is reported (relative) */
  minStep: z.number().min(0).default(0.05),
});

/**
 * Tooth chipping (DOMAIN §2, §4): a step — not a trend — in the specific cutting energy between
 * consecutive cuts, confirmed by the next cut. The blade keeps it until it is changed.
 */
export const energyStep = defineRule({
  kind: 'energy-step',
  description: 'confirmed step in specific cutting energy (steps are chipping, not wear)',
  params: Params,
  init: () => ({ total: 0 }),
  onCut(st, ctx, e, p) {
    const step = e.wear?.step;
    if (!step) return;
    const rel = Math.exp(step.size) - 1;
    if (rel < p.minStep) return;
    st.total += rel;
    ctx.set(true, {
      energyStepPct: round(100 * rel, 1),
      specificEnergyJcm2: round(e.f.eA, 1),
      steps: e.wear!.blade.steps.length,
    });
  },
  onBlade(st, ctx, b) {
    if (b.event !== 'dismount') return;
    st.total = 0;
    ctx.set(false);
  },
});
