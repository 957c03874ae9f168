import { z } from 'zod';
import { median, robustSigma } from '../baselines/robust.js';
import { defineRule } from './types.js';

const Params = z.strictObject({
  /** aborted cut and alarm stop must fall within this span */
  withinS: z.number().min(0).default(10),
  /**
   * Without an alarm from the controller: the blade counts as stopped abruptly when the sample
   * before, at most `maxGapS` earlier, still ran at this speed (m/min) in the cut
   */
  minCutSpeed: z.number().min(1).default(10),
  maxGapS: z.number().positive().default(3),
  /**
   * …and the head was at least this far (mm) above where this machine's cuts normally end (the
   * blade at the bed), learned from its stops out of the cut; before `learnStops` of them the
   * telemetry alone decides nothing
   */
  minHeadAboveMm: z.number().min(0).default(10),
  learnStops: z.number().int().min(1).default(5),
});

interface State {
  abortTs: number;
  abort: { peakCurrentA: number; areaCm2: number } | null;
  alarmTs: number;
  /** the blade last stopped abruptly in the cut without the controller reporting a stop */
  stopTs: number;
  /** head position at the last cutting sample of recent stops out of the cut (normal cut ends) */
  endHeights: number[];
}

/** recent normal cut-end heights kept per machine */
const END_HEIGHTS = 25;

/**
 * Abrupt stop in the cut (DOMAIN §2: breakage — abrupt load loss, blade stops; overload trip):
 * an aborted cut record together with the controller stopping on an alarm (alarm state or a
 * critical alarm), or the blade stopping mid-cut while the controller is in alarm — or, from the
 * telemetry alone, while the controller says nothing of a stop (state `running`, or no state
 * reported): the blade went from cutting speed to standstill between two consecutive samples
 * with the head clearly above where this machine's cuts end — in the middle of the work, not at
 * the bed. Many saws stop the blade when the head reaches the bed, so those stops are learned as
 * the machine's cut-end height. A machine that reports no head position (or has not shown that
 * height yet) needs its aborted cut record next to the abrupt stop instead. A controller that
 * reports no alarms must not hide a broken blade. Holds until the controller is reset or the
 * blade comes off.
 */
export const abruptStop = defineRule({
  kind: 'abrupt-stop',
  description: 'cut aborted and the controller stopped on an alarm, or the blade stopped dead mid-work',
  params: Params,
  init: (): State => ({
    abortTs: Number.NEGATIVE_INFINITY,
    abort: null,
    alarmTs: Number.NEGATIVE_INFINITY,
    stopTs: Number.NEGATIVE_INFINITY,
    endHeights: [],
  }),
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
    if (ctx.active || e.prevMode !== 'cutting' || e.mode !== 'stopped') return;
    if (e.state !== 'alarm') {
      // idle, setup, blade change, offline: a stop the controller commanded
      if (e.state !== 'running' && e.state !== undefined) return;
      const prev = e.prev;
      // a gap in the data is no evidence of how the blade stopped
      if (!prev || e.s.ts - prev.ts > p.maxGapS * 1000 || !((prev.bladeSpeed ?? 0) >= p.minCutSpeed)) return;
      // with an aborted cut record within withinS this stop is the breakage (check below)
      st.stopTs = e.s.ts;
      const head = prev.headPosition;
      if (head === undefined || !stoppedAboveTheBed(st, head, p)) {
        // a normal cut end (many saws stop the blade when the head reaches the bed): learned
        if (head !== undefined) {
          st.endHeights.push(head);
          if (st.endHeights.length > END_HEIGHTS) st.endHeights.shift();
        }
        check(st, ctx, p.withinS);
        return;
      }
      // this stop is the evidence (not an aborted cut seen earlier)
      st.abort = { peakCurrentA: prev.motorCurrent ?? 0, areaCm2: 0 };
    }
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

/** Whether the blade stopped with the head clearly above where this machine's cuts end. */
function stoppedAboveTheBed(st: State, head: number, p: z.infer<typeof Params>): boolean {
  if (st.endHeights.length < p.learnStops) return false;
  const end = median(st.endHeights);
  return head - end > Math.max(p.minHeadAboveMm, 4 * robustSigma(st.endHeights, end));
}

/** Flags when an aborted cut meets a stop on an alarm or an abrupt stop of the blade in the cut. */
function check(st: State, ctx: Parameters<NonNullable<typeof abruptStop.onState>>[1], withinS: number) {
  const near = (ts: number) => Math.abs(st.abortTs - ts) <= withinS * 1000;
  if (ctx.active || !st.abort || !(near(st.alarmTs) || near(st.stopTs))) return;
  ctx.set(true, { stoppedAt: st.abortTs, peakCurrentA: st.abort.peakCurrentA, cutAreaCm2: st.abort.areaCm2 });
}
