import { z } from 'zod';
import { defineRule } from './types.js';

const Params = z.strictObject({
  /** vendor alarm codes that mean this symptom (controller alarm tables are vendor-specific) */
  codes: z.array(z.string().min(1)).min(1),
});

/** A controller alarm code mapped to a symptom: supporting evidence, active while the alarm is. */
export const alarmCode = defineRule({
  kind: 'alarm-code',
  description: 'controller alarm codes as evidence',
  params: Params,
  init: () => ({ active: new Set<string>() }),
  onAlarm(st, ctx, a, p) {
    if (!p.codes.includes(a.code)) return;
    if (a.active) st.active.add(a.code);
    else st.active.delete(a.code);
    if (st.active.size > 0) ctx.set(true, { controllerAlarm: [...st.active].join(',') });
    else ctx.set(false);
  },
  onBirth(st, ctx) {
    st.active.clear();
    ctx.set(false);
  },
});
