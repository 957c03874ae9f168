import { z } from 'zod';
import { defineRule } from './types.js';

const Params = z.strictObject({
  /** aborted cut and alarm stop must fall within this span */
  withinS: z.number().min(0).default(10),
});

interface State {
  abortTs: number;
  abort: { peakCurrentA: number; areaCm2: number } | null;
  alarmTs: number;
}

/**
 * Abrupt stop in the cut (DOMAIN §2: breakage — abrupt load loss, blade stops; overload trip):
 * an aborted cut record together with the controller stopping on an alarm (alarm state or a
 * critical alarm), or the blade stopping mid-cut while the controller is in alarm. Holds until
 * the controller is reset or the blade comes off.
 */
export const abruptStop = defineRule({
  kind: 'abrupt-stop',
  description: 'cut aborted and the controller stopped on an alarm',
  params: Params,
  init: (): State => ({ abortTs: Number.NEGATIVE_INFINITY, abort: null, alarmTs: Number.NEGATIVE_INFINITY }),
  onCutRecord(st, ctx, c, p) {
    if (c.completed) return;
    st.abortTs = c.end;
    st.abort = { peakCurrentA: c.peakCurrentA, areaCm2: c.areaCm2 };
    check(st, ctx, p.withinS);
  },
  onState(st, ctx, s, p) {
    if (s.state === 'alarm') {
      st.alarmTs = s.ts;
      check(st, ctx, p.withinS);
    } else if (ctx.active && (s.state === 'running' || s.state === 'blade-change')) {
      st.abort = null;
      ctx.set(false);
    }
  },
  onAlarm(st, ctx, a, p) {
    if (a.active && a.severity === 'critical') {
      st.alarmTs = a.ts;
      check(st, ctx, p.withinS);
    }
  },
  onSample(st, ctx, e, p) {
    if (ctx.active || e.prevMode !== 'cutting' || e.mode !== 'stopped' || e.state !== 'alarm') return;
    st.alarmTs = e.s.ts;
    st.abortTs = e.s.ts;
    st.abort ??= { peakCurrentA: e.prev?.motorCurrent ?? 0, areaCm2: 0 };
    check(st, ctx, p.withinS);
  },
  onBlade(st, ctx, b) {
    if (b.event === 'dismount' && ctx.active) {
      st.abort = null;
      ctx.set(false);
    }
  },
});

function check(st: State, ctx: Parameters<NonNullable<typeof abruptStop.onState>>[1], withinS: number) {
  if (ctx.active || !st.abort || Math.abs(st.abortTs - st.alarmTs) > withinS * 1000) return;
  ctx.set(true, { stoppedAt: st.abortTs, peakCurrentA: st.abort.peakCurrentA, cutAreaCm2: st.abort.areaCm2 });
}
