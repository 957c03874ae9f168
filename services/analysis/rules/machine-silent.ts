import { z } from 'zod';
import { StateList } from './common.js';
import { defineRule } from './types.js';

const Params = z.strictObject({
  /** states in which the machine claims to be working */
  states: StateList.default(['running']),
  /** silence longer than this (and than 20 sample intervals) counts */
  silenceS: z.number().min(1).default(60),
});

/** The controller says it is cutting, but no telemetry arrives (link, gateway or controller trouble). */
export const machineSilent = defineRule({
  kind: 'machine-silent',
  description: 'no telemetry while the machine claims to be running',
  params: Params,
  init: () => ({}),
  onTick(_st, ctx, now, p) {
    const m = ctx.m;
    const limit = Math.max(p.silenceS * 1000, 20 * m.sampleIntervalMs);
    const since = Math.max(
      m.lastTelemetryAt,
      Number.isFinite(m.stateSince) ? m.stateSinceAt : Number.NEGATIVE_INFINITY,
    );
    const claims = m.state !== undefined && p.states.includes(m.state);
    const silent = claims && Number.isFinite(since) && now - since > limit;
    if (silent && !ctx.active)
      ctx.set(true, { silentS: Math.round((now - since) / 1000), state: m.state ?? '' });
    else if (!silent && ctx.active) ctx.set(false);
  },
  onSample(_st, ctx) {
    if (ctx.active) ctx.set(false);
  },
});
