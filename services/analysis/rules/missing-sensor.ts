import { z } from 'zod';
import { defineRule } from './types.js';

const Params = z.strictObject({
  /** consecutive samples without a variable the birth certificate announced */
  samples: z.number().int().min(1).default(60),
});

const CHECK_EVERY = 10;

/** A variable the controller announced in `birth.capabilities` no longer arrives. */
export const missingSensor = defineRule({
  kind: 'missing-sensor',
  description: 'announced capability absent from the samples',
  params: Params,
  init: () => ({ absent: new Map<string, number>(), missing: new Set<string>(), n: 0 }),
  onBirth(st, ctx) {
    st.absent.clear();
    st.missing.clear();
    ctx.set(false);
  },
  onSample(st, ctx, e, p) {
    // checked every CHECK_EVERY samples: a missing variable is noticed within that many samples
    if (++st.n % CHECK_EVERY !== 0) return;
    let changed = false;
    for (const name of ctx.m.capabilities) {
      const present = (e.s as Record<string, unknown>)[name] !== undefined;
      const n = present ? 0 : (st.absent.get(name) ?? 0) + CHECK_EVERY;
      st.absent.set(name, n);
      const isMissing = n >= p.samples;
      if (isMissing !== st.missing.has(name)) {
        changed = true;
        if (isMissing) st.missing.add(name);
        else st.missing.delete(name);
      }
    }
    if (!changed) return;
    if (st.missing.size > 0) ctx.set(true, { missingVariables: [...st.missing].join(',') });
    else ctx.set(false);
  },
});
