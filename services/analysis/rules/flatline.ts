import { z } from 'zod';
import type { TelemetryVariable } from '../../contracts/index.js';
import { ModeFilter, modeMatches, Variable } from './common.js';
import { defineRule } from './types.js';

const Params = z.strictObject({
  variables: z.array(Variable).min(1),
  /** identical consecutive readings that make a flat line */
  samples: z.number().int().min(5).default(120),
  mode: ModeFilter.default('cutting'),
  /** a variable is only judged once it has shown that it normally moves in this mode */
  learnSamples: z.number().int().min(10).default(300),
  /** …i.e. equal consecutive readings in at most this share of the learning samples */
  maxEqualShare: z.number().min(0).max(1).default(0.5),
});

interface Track {
  name: TelemetryVariable;
  last: number | undefined;
  run: number;
  seen: number;
  equal: number;
}

/** A sensor stuck at one value while the machine works (its normal noise has disappeared). */
export const flatline = defineRule({
  kind: 'flatline',
  description: 'a normally moving variable repeats the same reading for many samples',
  params: Params,
  init: (_m, p) => ({
    // an array, not a Map: this runs for every reading, and a Map's entries come as new arrays
    tracks: p.variables.map((name): Track => ({ name, last: undefined, run: 0, seen: 0, equal: 0 })),
    flat: new Set<string>(),
  }),
  onSample(st, ctx, e, p) {
    if (!modeMatches(p.mode, e.mode)) return;
    let changed = false;
    for (const t of st.tracks) {
      const name = t.name;
      const v = e.s[name];
      if (v === undefined) continue;
      const same = v === t.last;
      t.last = v;
      t.run = same ? t.run + 1 : 0;
      if (t.seen < p.learnSamples) {
        t.seen++;
        if (same) t.equal++;
        continue;
      }
      const judged = t.equal / t.seen <= p.maxEqualShare;
      const isFlat = judged && t.run + 1 >= p.samples;
      if (isFlat !== st.flat.has(name)) {
        changed = true;
        if (isFlat) st.flat.add(name);
        else st.flat.delete(name);
      }
    }
    if (!changed) return;
    if (st.flat.size > 0) ctx.set(true, { flatVariables: [...st.flat].join(','), samples: p.samples });
    else ctx.set(false);
  },
});
