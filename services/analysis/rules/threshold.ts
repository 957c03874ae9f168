import { z } from 'zod';
import {
  FeatureVar,
  featureValue,
  Limit,
  ModeFilter,
  modeMatches,
  newLatch,
  resolveLimit,
  round,
  StateList,
  stateMatches,
  stepLatch,
} from './common.js';
import { defineRule } from './types.js';

const Params = z.strictObject({
  ...FeatureVar.shape,
  op: z.enum(['above', 'below']),
  limit: Limit.describe('raise beyond this (a number or a model figure × factor)'),
  clear: Limit.describe('clear back past this (hysteresis)'),
  forS: z.number().min(0).default(3).describe('condition must hold this long'),
  clearForS: z.number().min(0).default(30),
  mode: ModeFilter.default('any'),
  states: StateList.optional(),
  /** ignore samples at or below this value (sensor off, blade out) */
  ignoreAtOrBelow: z.number().optional(),
});

/** A threshold with duration and hysteresis on a telemetry variable (limits may come from the model). */
export const threshold = defineRule({
  kind: 'threshold',
  description: 'value beyond a limit for a duration, cleared back past a second limit',
  params: Params,
  init: (m, p) => ({
    latch: newLatch(),
    limit: resolveLimit(p.limit, m.model),
    clear: resolveLimit(p.clear, m.model),
  }),
  onSample(st, ctx, e, p) {
    if (st.limit === undefined || st.clear === undefined) return;
    if (!modeMatches(p.mode, e.mode) || !stateMatches(p.states, e.state)) return;
    const v = featureValue(e.s, p);
    if (v === undefined || (p.ignoreAtOrBelow !== undefined && v <= p.ignoreAtOrBelow)) return;
    const beyond = p.op === 'above' ? v >= st.limit : v <= st.limit;
    const back = p.op === 'above' ? v < st.clear : v > st.clear;
    const t = stepLatch(st.latch, e.s.ts, beyond, back, p.forS * 1000, p.clearForS * 1000);
    if (t === 'raise') ctx.set(true, { [p.variable]: round(v), limit: round(st.limit) });
    else if (t === 'clear') ctx.set(false);
  },
});
