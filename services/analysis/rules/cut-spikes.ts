import { z } from 'zod';
import { RobustBaseline } from '../baselines/baseline.js';
import { getOrCreate } from '../types.js';
import { newStreak, round, stepStreak } from './common.js';
import { defineRule } from './types.js';

const Params = z.strictObject({
  signal: z.enum(['powerSpikes', 'vibrationBursts']),
  /** share of cutting samples that are spikes */
  minRate: z.number().min(0).default(0.02),
  minCount: z.number().int().min(1).default(3),
  /** and at least this multiple of the machine's learned spike rate */
  ratio: z.number().min(1).default(3),
  minCuttingSamples: z.number().int().min(5).default(20),
  forCount: z.number().int().min(1).default(1),
  clearCount: z.number().int().min(1).default(3),
  /** a new blade clears it (tooth-level irregularity belongs to the blade) */
  clearOnBladeChange: z.boolean().default(true),
});

/**
 * Irregular tooth-level load or blade bounce: single-sample excursions of cutting power (force
 * spikes) or vibration (bursts) per cut, against the machine's normal rate.
 */
export const cutSpikes = defineRule({
  kind: 'cut-spikes',
  description: 'rate of single-sample spikes per cut above normal',
  params: Params,
  init(m, p) {
    const key = `spikes|${p.signal}`;
    const base = getOrCreate(
      m.bank,
      key,
      () => new RobustBaseline({ minCount: 20, absFloor: 0.002, learnZ: 6 }),
    );
    return { base, streak: newStreak(), last: 0 };
  },
  onCut(st, ctx, e, p) {
    const f = e.f;
    if (f.cuttingSamples < p.minCuttingSamples) return;
    const count = f[p.signal];
    const rate = count / f.cuttingSamples;
    const normal = st.base.ready ? st.base.median : 0;
    const beyond = rate >= p.minRate && count >= p.minCount && rate >= p.ratio * normal;
    const back = rate < p.minRate / 2;
    const t = stepStreak(st.streak, beyond, back, p.forCount, p.clearCount);
    if (t === 'raise' || (st.streak.on && beyond)) {
      ctx.set(true, {
        [`${p.signal}Rate`]: round(rate, 3),
        [`${p.signal}RateBefore`]: round(st.last, 3),
        normalRate: round(normal, 3),
      });
    } else if (t === 'clear') ctx.set(false);
    if (!st.streak.on && !beyond) st.base.add(rate);
    st.last = rate;
  },
  onBlade(st, ctx, b, p) {
    if (!p.clearOnBladeChange || b.event !== 'dismount') return;
    st.streak = newStreak();
    ctx.set(false);
  },
});
