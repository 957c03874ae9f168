import type { FaultLabel } from '../../simulator/index.js';
import type { LifecycleEvent } from '../lifecycle/record.js';
import type { EvalRun } from './runner.js';

/** Warning categories of the fault dictionary (fault, notice, data). */
export type CategoryOf = (type: string) => string;

export interface LabelOutcome {
  machine: string;
  fault: string;
  onsetTs: number;
  detected: boolean;
  /** first matching warning − onset, s */
  delayS?: number;
  /** abrupt faults: flagged at the event (0) or first matching warning after it, s */
  eventDelayS?: number;
  /** blade wear: true remaining life (%) of the blade at the first matching warning */
  remainingPct?: number;
  /** blade wear: true consumed life of the blade when the fault began (0..1) */
  usedAtOnset?: number;
  /** blade wear: true remaining life (%) when a blade warning of either kind — abnormal wear or the
   * blade-change notice — was first up during the fault (the operator knows the blade must go) */
  changeWarnedPct?: number;
  /** what was raised on that machine during the label instead, when missed */
  raisedInstead: string[];
}

export interface ActivationOutcome {
  machine: string;
  type: string;
  category: string;
  ts: number;
  /** `true`: an active label of that fault; `misdiagnosed`: another fault was active; `false`: none */
  match: 'true' | 'misdiagnosed' | 'false';
  /** faults active on the machine at that time */
  active: string[];
}

export interface NoticeOutcome {
  predictedPct: number | null;
  truePct: number;
  followedByWornChange: boolean;
}

export interface SeedMetrics {
  seed: number;
  days: number;
  machines: number;
  healthyMachines: number;
  /** fault and data warnings raised on machines without any label over the whole run */
  healthyWarnings: number;
  healthyNotices: number;
  labels: LabelOutcome[];
  activations: ActivationOutcome[];
  notices: NoticeOutcome[];
  messages: number;
  samples: number;
  invalid: number;
  failures: number;
}

const ANNOUNCE = new Set(['raise', 'reactivate', 'unsuppress']);
/** warnings that tell the operator the blade must be changed */
const BLADE_CHANGE = new Set(['blade-wear', 'blade-life']);
const END = new Set(['clear', 'resolve', 'suppress']);

interface Span {
  machine: string;
  type: string;
  from: number;
  to: number;
}

/** Annunciated intervals of every warning (raise/reactivate/unsuppress → clear/resolve/suppress). */
function spansOf(events: readonly LifecycleEvent[], endMs: number): Span[] {
  const open = new Map<string, Span>();
  const spans: Span[] = [];
  for (const e of events) {
    if (ANNOUNCE.has(e.action) && !open.has(e.warningId))
      open.set(e.warningId, { machine: e.machine, type: e.type, from: e.ts, to: endMs });
    else if (END.has(e.action) && open.has(e.warningId)) {
      const s = open.get(e.warningId)!;
      s.to = e.ts;
      spans.push(s);
      open.delete(e.warningId);
    }
  }
  return spans.concat([...open.values()]);
}

function truthAt(run: EvalRun, machine: string, ts: number) {
  const list = run.truth[machine] ?? [];
  let lo = 0;
  let hi = list.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.ts < ts) lo = mid + 1;
    else hi = mid;
  }
  return list[lo];
}

/** Scores one run: per label detected or not (top-1 type = fault), per warning true or false. */
export function scoreRun(run: EvalRun, categoryOf: CategoryOf, graceMs = 30 * 60_000): SeedMetrics {
  const endOf = (l: FaultLabel) => (l.endTs ?? run.endMs) + graceMs;
  const activations = run.events.filter(
    (e) => ANNOUNCE.has(e.action) && e.state !== 'suppressed' && e.state !== 'shelved',
  );
  const spans = spansOf(run.events, run.endMs);
  const byMachine = new Map<string, FaultLabel[]>();
  for (const l of run.labels) byMachine.set(l.machineId, [...(byMachine.get(l.machineId) ?? []), l]);
  const labels: LabelOutcome[] = run.labels.map((l) => {
    const inWindow = activations.filter(
      (a) => a.machine === l.machineId && a.ts >= l.onsetTs && a.ts <= endOf(l),
    );
    const hit = inWindow.find((a) => a.type === l.fault);
    const out: LabelOutcome = {
      machine: l.machineId,
      fault: l.fault,
      onsetTs: l.onsetTs,
      detected: !!hit,
      raisedInstead: [],
    };
    if (hit) out.delayS = (hit.ts - l.onsetTs) / 1000;
    else out.raisedInstead = [...new Set(inWindow.map((a) => a.type))];
    if (l.eventTs !== undefined && l.fault !== 'tooth-chipping') {
      const mine = spans.filter((s) => s.machine === l.machineId && s.type === l.fault);
      const at = mine.some((s) => s.from <= l.eventTs! && s.to >= l.eventTs!);
      const after = mine.filter((s) => s.from >= l.eventTs! && s.from <= endOf(l)).map((s) => s.from);
      if (at) out.eventDelayS = 0;
      else if (after.length) out.eventDelayS = (Math.min(...after) - l.eventTs) / 1000;
    }
    if (l.fault === 'blade-wear') {
      const t0 = truthAt(run, l.machineId, l.onsetTs);
      if (t0) out.usedAtOnset = t0.used;
      const t = hit ? truthAt(run, l.machineId, hit.ts) : undefined;
      if (t) out.remainingPct = Math.max(0, 100 * (1 - t.used));
      const warned = spans
        .filter(
          (s) =>
            s.machine === l.machineId && BLADE_CHANGE.has(s.type) && s.to >= l.onsetTs && s.from <= endOf(l),
        )
        .map((s) => Math.max(s.from, l.onsetTs));
      const tw = warned.length ? truthAt(run, l.machineId, Math.min(...warned)) : undefined;
      if (tw) out.changeWarnedPct = Math.max(0, 100 * (1 - tw.used));
    }
    return out;
  });
  const outcomes: ActivationOutcome[] = activations.map((a) => {
    const active = (byMachine.get(a.machine) ?? []).filter((l) => a.ts >= l.onsetTs && a.ts <= endOf(l));
    const match = active.some((l) => l.fault === a.type)
      ? 'true'
      : active.length > 0
        ? 'misdiagnosed'
        : 'false';
    return {
      machine: a.machine,
      type: a.type,
      category: categoryOf(a.type),
      ts: a.ts,
      match,
      active: [...new Set(active.map((l) => l.fault))],
    };
  });
  const notices: NoticeOutcome[] = activations
    .filter((a) => categoryOf(a.type) === 'notice')
    .map((a) => {
      const t = truthAt(run, a.machine, a.ts);
      const worn = run.dismounts.some(
        (d) => d.machine === a.machine && d.bladeId === t?.bladeId && d.reason === 'worn' && d.ts >= a.ts,
      );
      return {
        predictedPct: run.remaining[a.warningId] ?? null,
        truePct: t ? 100 * (1 - t.used) : Number.NaN,
        followedByWornChange: worn,
      };
    });
  const healthy = run.machines.filter((m) => !byMachine.has(m));
  const onHealthy = outcomes.filter((o) => healthy.includes(o.machine));
  return {
    seed: run.seed,
    days: (run.endMs - run.startMs) / 86_400_000,
    machines: run.machines.length,
    healthyMachines: healthy.length,
    healthyWarnings: onHealthy.filter((o) => o.category !== 'notice').length,
    healthyNotices: onHealthy.filter((o) => o.category === 'notice').length,
    labels,
    activations: outcomes,
    notices,
    messages: run.messages,
    samples: run.samples,
    invalid: run.invalid,
    failures: run.failures,
  };
}
