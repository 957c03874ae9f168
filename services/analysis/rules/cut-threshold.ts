import { z } from 'zod';
import type { Cut } from '../../contracts/index.js';
import { sectionSizeMm } from '../features/keys.js';
import { Limit, resolveLimit, round } from './common.js';
import { defineRule } from './types.js';

const Field = z.enum([
  'peakCurrentA',
  'meanCurrentA',
  'maxDeviationMm',
  'cuttingRateCm2Min',
  'deviationPer100',
]);
type Field = z.infer<typeof Field>;

const Params = z.strictObject({
  field: Field,
  op: z.enum(['above', 'below']),
  limit: Limit,
  /** other fields that must also be at least these */
  alsoAtLeast: z.array(z.strictObject({ field: Field, min: Limit })).default([]),
  /** a blade change clears it (the symptom belongs to the blade, e.g. deviation) */
  clearOnBladeChange: z.boolean().default(false),
  /** also aborted cuts (a trip ends the cut early) */
  includeAborted: z.boolean().default(true),
  /** cuts in a row beyond the limit before it is reported */
  forCount: z.number().int().min(1).default(1),
});

function value(c: Cut, f: Field): number {
  if (f !== 'deviationPer100') return c[f];
  const size = sectionSizeMm(c.section);
  return size > 0 ? (100 * c.maxDeviationMm) / size : 0;
}

/**
 * A figure of the cut record beyond a limit (e.g. the peak current at the nameplate rating): the
 * record arrives as the cut ends, before the last telemetry batch, so it is the first evidence of
 * how a cut ended. Holds until a cut within the limit.
 */
export const cutThreshold = defineRule({
  kind: 'cut-threshold',
  description: 'a cut-record figure beyond a limit (model figures allowed)',
  params: Params,
  init: (m, p) => ({
    limit: resolveLimit(p.limit, m.model),
    also: p.alsoAtLeast.map((a) => ({ field: a.field, min: resolveLimit(a.min, m.model) })),
    hits: 0,
  }),
  onCutRecord(st, ctx, c, p) {
    if (st.limit === undefined || (!c.completed && !p.includeAborted)) return;
    const v = value(c, p.field);
    const also = st.also.every((a) => a.min !== undefined && value(c, a.field) >= a.min);
    const beyond = (p.op === 'above' ? v >= st.limit : v <= st.limit) && also;
    st.hits = beyond ? st.hits + 1 : 0;
    if (beyond && st.hits >= p.forCount)
      ctx.set(true, { [p.field]: round(v, 2), limit: round(st.limit, 2), cutId: c.cutId });
    else if (!beyond && ctx.active) ctx.set(false);
  },
  onBlade(_st, ctx, b, p) {
    if (p.clearOnBladeChange && b.event === 'dismount' && ctx.active) ctx.set(false);
  },
});
