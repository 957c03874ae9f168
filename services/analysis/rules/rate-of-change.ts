import { z } from 'zod';
import { FeatureVar, featureValue, ModeFilter, modeMatches, newLatch, round, stepLatch } from './common.js';
import { defineRule } from './types.js';

const Params = z.strictObject({
  ...FeatureVar.shape,
  direction: z.enum(['up', 'down']),
  /** change per minute that counts as too fast, in the variable's unit */
  perMinute: z.number().positive(),
  windowS: z.number().min(10).default(180).describe('slope measured over this span'),
  forS: z.number().min(0).default(60),
  clearForS: z.number().min(0).default(300),
  mode: ModeFilter.default('any'),
});

/** Rate of change over a sliding span (e.g. a temperature climbing faster than its thermal lag allows). */
export const rateOfChange = defineRule({
  kind: 'rate-of-change',
  description: 'a variable changes faster than a limit per minute, sustained',
  params: Params,
  // the span's samples are ts/v[head…]: dropping the oldest moves `head` (Array#shift copies the
  // whole array once it is large — at 10 Hz a 3-minute span holds 1,800 samples per machine)
  init: () => ({ latch: newLatch(), ts: [] as number[], v: [] as number[], head: 0 }),
  onSample(st, ctx, e, p) {
    if (!modeMatches(p.mode, e.mode)) {
      st.ts.length = 0;
      st.v.length = 0;
      st.head = 0;
      return;
    }
    const v = featureValue(e.s, p);
    if (v === undefined) return;
    st.ts.push(e.s.ts);
    st.v.push(v);
    const span = p.windowS * 1000;
    while (st.head < st.ts.length - 1 && e.s.ts - st.ts[st.head]! > span) st.head++;
    if (st.head >= 256 && 2 * st.head >= st.ts.length) {
      st.ts.splice(0, st.head);
      st.v.splice(0, st.head);
      st.head = 0;
    }
    const dt = e.s.ts - st.ts[st.head]!;
    if (dt < span * 0.9) return;
    const rate = ((v - st.v[st.head]!) / dt) * 60_000 * (p.direction === 'up' ? 1 : -1);
    const t = stepLatch(
      st.latch,
      e.s.ts,
      rate >= p.perMinute,
      rate < p.perMinute / 2,
      p.forS * 1000,
      p.clearForS * 1000,
    );
    if (t === 'raise') ctx.set(true, { [`${p.variable}PerMin`]: round(rate, 2), limitPerMin: p.perMinute });
    else if (t === 'clear') ctx.set(false);
  },
});
