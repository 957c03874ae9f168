import { z } from 'zod';
import type { BaselineOptions } from '../baselines/baseline.js';
import { ConditionalBaseline } from '../baselines/conditional.js';
import { cusumStep } from '../baselines/cusum.js';
import { median } from '../baselines/robust.js';
import type { MachineCtx } from '../machine.js';
import {
  FeatureVar,
  featureValue,
  ModeFilter,
  modeMatches,
  newStreak,
  round,
  StateList,
  stateMatches,
  stepStreak,
} from './common.js';
import { defineRule, type SampleEvent } from './types.js';

export const BaselineParams = z
  .strictObject({
    capacity: z.number().int().min(50).default(1500),
    minCount: z.number().int().min(5).default(60),
    learnZ: z.number().positive().default(4),
    relFloor: z.number().min(0).default(0.01),
    absFloor: z.number().min(0).default(0),
  })
  .prefault({});

const Params = z.strictObject({
  ...FeatureVar.shape,
  mode: ModeFilter.default('any'),
  states: StateList.optional(),
  ignoreAtOrBelow: z.number().optional(),
  /** operating condition the baseline is kept per band of */
  condition: z.enum(['none', 'load', 'force', 'cutting']).default('none'),
  edges: z.array(z.number()).default([]),
  direction: z.enum(['up', 'down']),
  windowS: z.number().min(5).default(60),
  minSamples: z.number().int().min(1).default(10),
  /** practical significance: relative and absolute change from the baseline */
  minRel: z.number().min(0).default(0.1),
  minAbs: z.number().min(0).default(0),
  /** statistical significance: instantaneous z, or the CUSUM of z */
  z: z.number().positive().default(4),
  cusumK: z.number().min(0).default(1),
  cusumH: z.number().positive().default(12),
  forCount: z.number().int().min(1).default(3),
  clearCount: z.number().int().min(1).default(5),
  /** clears when the change is below this share of minRel */
  clearRel: z.number().min(0).max(1).default(0.5),
  baseline: BaselineParams,
});
type Params = z.infer<typeof Params>;

/** One aggregation window's readings, in buffers reused from window to window. */
interface Window {
  start: number;
  n: number;
  values: Float64Array;
  conds: Float64Array;
}

interface State {
  base: ConditionalBaseline;
  /** one aggregation window per condition band: a window never mixes operating conditions */
  windows: Map<number, Window>;
  cusum: { s: number };
  streak: ReturnType<typeof newStreak>;
}

function conditionOf(p: Params, m: MachineCtx, e: SampleEvent): number {
  const model = m.model;
  switch (p.condition) {
    case 'none':
      return 0;
    case 'cutting':
      return e.mode === 'cutting' ? 1 : 0;
    case 'force':
      return model ? (e.s.feedForce ?? 0) / model.maxFeedForceN : 0;
    case 'load':
      return model ? (e.s.power ?? 0) / (model.motorKw / model.motorEfficiency) : 0;
  }
}

/** Key of the learned baseline: depends on what is measured, not on thresholds (survives rule edits). */
function bankKey(p: Params): string {
  return [
    'drift',
    p.variable,
    p.minus ?? '',
    p.mode,
    (p.states ?? []).join('+'),
    p.condition,
    p.edges.join('/'),
    p.windowS,
  ].join('|');
}

/**
 * Drift of a telemetry feature from the machine's own learned baseline: per window (default one
 * minute of matching samples) the median is compared with a robust baseline (median/MAD) kept per
 * operating-condition band; a change must be practically (relative/absolute) and statistically
 * (instantaneous z or CUSUM) significant for `forCount` windows in a row. Windows that look faulty
 * are not learned.
 */
export const baselineDrift = defineRule({
  kind: 'baseline-drift',
  description: 'telemetry feature drifts from its learned per-condition baseline (median/MAD, CUSUM)',
  params: Params,
  init(m, p): State {
    const key = bankKey(p);
    let base = m.bank.get(key) as ConditionalBaseline | undefined;
    if (!base) {
      base = new ConditionalBaseline(p.edges, p.baseline as BaselineOptions);
      m.bank.set(key, base);
    }
    return { base, windows: new Map(), cusum: { s: 0 }, streak: newStreak() };
  },
  onSample(st, ctx, e, p) {
    if (!modeMatches(p.mode, e.mode) || !stateMatches(p.states, e.state)) return;
    const v = featureValue(e.s, p);
    if (v === undefined || (p.ignoreAtOrBelow !== undefined && v <= p.ignoreAtOrBelow)) return;
    const ts = e.s.ts;
    const c = conditionOf(p, ctx.m, e);
    const bin = st.base.binOf(c);
    // (no closure per reading: this runs for every sample of every drift rule)
    let w = st.windows.get(bin);
    if (w === undefined) {
      w = { start: ts, n: 0, values: new Float64Array(64), conds: new Float64Array(64) };
      st.windows.set(bin, w);
    }
    if (!(ts - w.start < p.windowS * 1000)) {
      if (w.n >= p.minSamples)
        decide(st, ctx, p, median(w.values.subarray(0, w.n)), median(w.conds.subarray(0, w.n)));
      w.start = ts;
      w.n = 0;
    }
    if (w.n === w.values.length) {
      const values = new Float64Array(w.n * 2);
      values.set(w.values);
      const conds = new Float64Array(w.n * 2);
      conds.set(w.conds);
      w.values = values;
      w.conds = conds;
    }
    w.values[w.n] = v;
    w.conds[w.n] = c;
    w.n++;
  },
});

function decide(
  st: State,
  ctx: Parameters<NonNullable<typeof baselineDrift.onSample>>[1],
  p: Params,
  x: number,
  c: number,
) {
  const b = st.base.get(c);
  if (!b) {
    st.base.add(c, x);
    return;
  }
  const sign = p.direction === 'up' ? 1 : -1;
  const med = b.median;
  const z = (sign * (x - med)) / b.scale;
  const abs = sign * (x - med);
  const rel = med !== 0 ? abs / Math.abs(med) : abs > 0 ? Number.POSITIVE_INFINITY : 0;
  const significant = rel >= p.minRel && abs >= p.minAbs;
  const s = cusumStep(st.cusum, Math.min(z, 10), p.cusumK);
  const beyond = significant && (z >= p.z || s >= p.cusumH);
  const back = rel < p.minRel * p.clearRel || z < 1;
  const t = stepStreak(st.streak, beyond, back, p.forCount, p.clearCount);
  if (t === 'raise' || (st.streak.on && ctx.active)) {
    ctx.set(true, {
      [`${p.variable}${p.minus ? `-${p.minus}` : ''}`]: round(x),
      baseline: round(med),
      changePct: round(100 * sign * rel, 1),
      z: round(z, 1),
    });
  } else if (t === 'clear') {
    st.cusum.s = 0;
    ctx.set(false);
  }
  if (!st.streak.on && !beyond) st.base.add(c, x);
}
