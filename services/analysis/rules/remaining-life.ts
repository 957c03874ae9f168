import { z } from 'zod';
import { newStreak, round, stepStreak } from './common.js';
import { defineRule } from './types.js';

const Params = z.strictObject({
  /** notice when the remaining life falls to this percentage */
  percent: z.number().min(0).max(100).default(15),
  forCount: z.number().int().min(1).default(2),
});

/** Blade change due: the remaining life (DOMAIN §4, `ToolLifeIndication`) reached the preset. */
export const remainingLife = defineRule({
  kind: 'remaining-life',
  description: 'remaining blade life at or below a configurable percentage',
  params: Params,
  init: () => ({ streak: newStreak() }),
  onCut(st, ctx, e, p) {
    const rem = e.life?.remaining;
    if (!rem || !e.f.cut.completed) return;
    const t = stepStreak(st.streak, rem.percent <= p.percent, false, p.forCount, 1);
    if (t === 'raise' || st.streak.on) {
      ctx.set(
        true,
        {
          remainingPercent: rem.percent,
          remainingCuts: rem.cuts,
          specificEnergyJcm2: round(e.f.eA, 1),
          bladeId: e.life!.bladeId,
        },
        rem,
      );
    }
  },
  onBlade(st, ctx, b) {
    if (b.event !== 'dismount') return;
    st.streak = newStreak();
    ctx.set(false);
  },
});
