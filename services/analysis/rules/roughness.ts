import { z } from 'zod';
import { RobustBaseline } from '../baselines/baseline.js';
import { median } from '../baselines/robust.js';
import { getOrCreate } from '../types.js';
import { ModeFilter, modeMatches, newStreak, round, stepStreak, Variable } from './common.js';
import { defineRule } from './types.js';

const Params = z.strictObject({
  variable: Variable,
  mode: ModeFilter.default('cutting'),
  windowS: z.number().min(5).default(60),
  minSamples: z.number().int().min(3).default(15),
  /** jitter (median relative second difference between samples) must exceed baseline × this … */
  ratio: z.number().min(1).default(2.5),
  /** … and this absolute share per sample */
  minJitter: z.number().min(0).default(0.02),
  forCount: z.number().int().min(1).default(3),
  clearCount: z.number().int().min(1).default(5),
  minCount: z.number().int().min(5).default(60),
});

/**
 * Roughness: the median relative change from one sample to the next within a window, against the
 * machine's learned roughness. Catches a signal that becomes inconsistent (pressure, feed) while
 * its level may still look fine.
 */
export const roughness = defineRule({
  kind: 'roughness',
  description: 'sample-to-sample jitter of a variable above its learned level',
  params: Params,
  init(m, p) {
    const key = `rough|${p.variable}|${p.mode}|${p.windowS}`;
    const base = getOrCreate(
      m.bank,
      key,
      () => new RobustBaseline({ minCount: p.minCount, relFloor: 0.05, learnZ: 6 }),
    );
    return {
      base,
      start: Number.NaN,
      steps: [] as number[],
      last: Number.NaN,
      last2: Number.NaN,
      streak: newStreak(),
    };
  },
  onSample(st, ctx, e, p) {
    if (!modeMatches(p.mode, e.mode)) {
      st.last = Number.NaN;
      st.last2 = Number.NaN;
      return;
    }
    const v = e.s[p.variable];
    if (v === undefined) return;
    if (!(e.s.ts - st.start < p.windowS * 1000)) {
      if (st.steps.length >= p.minSamples) {
        const j = median(st.steps);
        const b = st.base;
        const beyond = b.ready && j >= p.ratio * b.median && j >= p.minJitter;
        const back = !b.ready || j < 0.5 * (p.ratio * b.median);
        const t = stepStreak(st.streak, beyond, back, p.forCount, p.clearCount);
        if (t === 'raise')
          ctx.set(true, { [`${p.variable}Jitter`]: round(j, 4), baselineJitter: round(b.median, 4) });
        else if (t === 'clear') ctx.set(false);
        if (!st.streak.on && !beyond) b.add(j);
      }
      st.start = e.s.ts;
      st.steps.length = 0;
    }
    // second difference: smooth changes of the level (geometry of the section) cancel, noise does not
    if (Number.isFinite(st.last2) && st.last > 0)
      st.steps.push(Math.abs(v - 2 * st.last + st.last2) / st.last);
    st.last2 = st.last;
    st.last = v;
  },
});
