import { z } from 'zod';
import { RobustBaseline } from '../baselines/baseline.js';
import { ewmaStep } from '../baselines/cusum.js';
import type { CutFeatures } from '../features/cut-features.js';
import { getOrCreate } from '../types.js';
import { BaselineParams } from './baseline-drift.js';
import { newStreak, round, stepStreak } from './common.js';
import { defineRule } from './types.js';

const FEATURES = [
  'eA',
  'rate',
  'peakCurrentA',
  'meanCurrentA',
  'maxDeviationMm',
  'deviationPer100',
  'idlePowerKw',
  'speedSag',
  'bladeTempRise',
] as const;
type Feature = (typeof FEATURES)[number];

const Params = z.strictObject({
  feature: z.enum(FEATURES),
  /** baseline per material × section class (`key`), per exact section (`section`) or per machine */
  per: z.enum(['key', 'section', 'machine']).default('key'),
  /** until the class baseline is ready, judge against the machine-wide one (size-normalised features) */
  fallbackToMachine: z.boolean().default(false),
  direction: z.enum(['up', 'down']),
  minRel: z.number().min(0).default(0.2),
  minAbs: z.number().min(0).default(0),
  /** the feature itself must also be at least this (e.g. a tolerance) */
  minValue: z.number().optional(),
  /** and other features of the cut at least these (e.g. deviation per 100 mm above the tolerance) */
  require: z.array(z.strictObject({ feature: z.enum(FEATURES), min: z.number() })).default([]),
  z: z.number().positive().default(4),
  /** EWMA smoothing of the per-cut z (1 = no smoothing) */
  lambda: z.number().min(0.05).max(1).default(1),
  forCount: z.number().int().min(1).default(2),
  clearCount: z.number().int().min(1).default(3),
  /** a blade change clears it (the symptom belongs to the blade, e.g. deviation) */
  clearOnBladeChange: z.boolean().default(false),
  skipBreakIn: z.boolean().default(true),
  completedOnly: z.boolean().default(true),
  baseline: BaselineParams,
});

/**
 * A per-cut feature (DOMAIN §4: specific energy, cutting rate, currents, deviation…) against the
 * machine's robust baseline for the cut's material × section class, smoothed with an EWMA.
 */
export const cutDrift = defineRule({
  kind: 'cut-drift',
  description: 'per-cut feature drifts from its baseline per machine × material × section class',
  params: Params,
  init: () => ({ ewma: { value: null as number | null }, streak: newStreak() }),
  onCut(st, ctx, e, p) {
    const f = e.f;
    if (p.completedOnly && !f.cut.completed) return;
    if (p.skipBreakIn && e.wear?.inBreakIn) return;
    const x = f[p.feature as Feature] as number;
    if (!Number.isFinite(x)) return;
    const key = `cut|${p.feature}|${p.per === 'key' ? f.key : p.per === 'section' ? f.stepKey : '*'}`;
    const own = baselineOf(ctx.m.bank, key, p.baseline);
    const machine =
      p.fallbackToMachine && p.per !== 'machine'
        ? baselineOf(ctx.m.bank, `cut|${p.feature}|*`, p.baseline)
        : undefined;
    const b = own.ready ? own : machine?.ready ? machine : undefined;
    if (!b) {
      own.add(x);
      machine?.add(x);
      return;
    }
    const sign = p.direction === 'up' ? 1 : -1;
    const med = b.median;
    const z = ewmaStep(st.ewma, (sign * (x - med)) / b.scale, p.lambda);
    const abs = sign * (x - med);
    const rel = med !== 0 ? abs / Math.abs(med) : 0;
    const required = p.require.every((r) => (f[r.feature as Feature] as number) >= r.min);
    const beyond =
      z >= p.z &&
      rel >= p.minRel &&
      abs >= p.minAbs &&
      (p.minValue === undefined || x >= p.minValue) &&
      required;
    const back = z < p.z / 2 || rel < p.minRel / 2;
    const t = stepStreak(st.streak, beyond, back, p.forCount, p.clearCount);
    if (t === 'raise' || (st.streak.on && beyond))
      ctx.set(true, evidence(p.feature, f, x, med, z, rel * sign));
    else if (t === 'clear') ctx.set(false);
    if (!st.streak.on && !beyond) {
      own.add(x);
      machine?.add(x);
    }
  },
  onBlade(st, ctx, b, p) {
    if (!p.clearOnBladeChange || b.event !== 'dismount') return;
    st.streak = newStreak();
    st.ewma.value = null;
    if (ctx.active) ctx.set(false);
  },
});

function baselineOf(
  bank: Map<string, unknown>,
  key: string,
  o: z.infer<typeof BaselineParams>,
): RobustBaseline {
  return getOrCreate(bank, key, () => new RobustBaseline(o));
}

function evidence(feature: string, f: CutFeatures, x: number, med: number, z: number, rel: number) {
  return {
    [feature]: round(x),
    baseline: round(med),
    changePct: round(100 * rel, 1),
    z: round(z, 1),
    cutKey: f.key,
  };
}
