import type { SeedMetrics } from './metrics.js';

export interface FaultRow {
  fault: string;
  labels: number;
  detected: number;
  recall: number;
  warnings: number;
  truePositive: number;
  precision: number;
  /** detection delay from onset, minutes */
  medianDelayMin: number | null;
  p90DelayMin: number | null;
  /** abrupt faults: delay from the event, seconds (worst case) */
  maxEventDelayS: number | null;
  /** blade wear: true remaining life at the first warning, % */
  minRemainingPct: number | null;
  medianRemainingPct: number | null;
  /** blade wear: share of detections with ≥ 10 % life left */
  remainingOk: number | null;
}

/** Blade-wear recall by how much of the blade's life was left when the fault began. */
export interface WearBucket {
  label: string;
  labels: number;
  detected: number;
  remainingOk: number;
  /** a blade warning of either kind (abnormal wear or the change notice) with ≥ 10 % life left */
  changeWarnedOk: number;
}

export interface Summary {
  seeds: number[];
  days: number;
  machines: number;
  rows: FaultRow[];
  /** fault and data warnings on machines without any fault over the whole run */
  healthyMachineWeeks: number;
  healthyWarnings: number;
  falseWarnings: { type: string; match: string; count: number }[];
  notices: { count: number; onHealthy: number; followedByWorn: number; meanAbsErrorPct: number | null };
  wearBuckets: WearBucket[];
  messages: number;
  samples: number;
  invalid: number;
  failures: number;
}

const BUCKETS: [string, number, number][] = [
  ['< 25 % used', 0, 0.25],
  ['25–50 % used', 0.25, 0.5],
  ['50–75 % used', 0.5, 0.75],
  ['≥ 75 % used', 0.75, Number.POSITIVE_INFINITY],
];

const q = (xs: number[], p: number) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))]!;
};

/** Pools the per-seed scores into one table per fault type. */
export function summarize(list: readonly SeedMetrics[], faults: readonly string[]): Summary {
  const labels = list.flatMap((m) => m.labels);
  const acts = list.flatMap((m) => m.activations);
  const rows = faults.map((fault): FaultRow => {
    const ls = labels.filter((l) => l.fault === fault);
    const hit = ls.filter((l) => l.detected);
    const ws = acts.filter((a) => a.type === fault);
    const tp = ws.filter((a) => a.match === 'true').length;
    const delays = hit.map((l) => l.delayS! / 60);
    const events = ls.filter((l) => l.eventDelayS !== undefined).map((l) => l.eventDelayS!);
    const rem = hit.filter((l) => l.remainingPct !== undefined).map((l) => l.remainingPct!);
    return {
      fault,
      labels: ls.length,
      detected: hit.length,
      recall: ls.length ? hit.length / ls.length : Number.NaN,
      warnings: ws.length,
      truePositive: tp,
      precision: ws.length ? tp / ws.length : Number.NaN,
      medianDelayMin: q(delays, 0.5),
      p90DelayMin: q(delays, 0.9),
      maxEventDelayS: events.length ? Math.max(...events) : null,
      minRemainingPct: rem.length ? Math.min(...rem) : null,
      medianRemainingPct: q(rem, 0.5),
      remainingOk: rem.length ? rem.filter((r) => r >= 10).length / rem.length : null,
    };
  });
  const falseKey = new Map<string, number>();
  for (const a of acts) {
    if (a.match === 'true' || a.category === 'notice') continue;
    const k = `${a.type}|${a.match}`;
    falseKey.set(k, (falseKey.get(k) ?? 0) + 1);
  }
  const notices = list.flatMap((m) => m.notices);
  const errs = notices
    .filter((n) => n.predictedPct !== null && Number.isFinite(n.truePct))
    .map((n) => Math.abs(n.predictedPct! - n.truePct));
  return {
    seeds: list.map((m) => m.seed),
    days: list[0]?.days ?? 0,
    machines: list[0]?.machines ?? 0,
    rows,
    healthyMachineWeeks: list.reduce((s, m) => s + (m.healthyMachines * m.days) / 7, 0),
    healthyWarnings: list.reduce((s, m) => s + m.healthyWarnings, 0),
    falseWarnings: [...falseKey]
      .map(([k, count]) => ({ type: k.split('|')[0]!, match: k.split('|')[1]!, count }))
      .sort((a, b) => b.count - a.count),
    notices: {
      count: notices.length,
      onHealthy: list.reduce((s, m) => s + m.healthyNotices, 0),
      followedByWorn: notices.filter((n) => n.followedByWornChange).length,
      meanAbsErrorPct: errs.length ? errs.reduce((s, x) => s + x, 0) / errs.length : null,
    },
    wearBuckets: BUCKETS.map(([label, lo, hi]) => {
      const ls = labels.filter(
        (l) =>
          l.fault === 'blade-wear' &&
          l.usedAtOnset !== undefined &&
          l.usedAtOnset >= lo &&
          l.usedAtOnset < hi,
      );
      return {
        label,
        labels: ls.length,
        detected: ls.filter((l) => l.detected).length,
        remainingOk: ls.filter((l) => l.detected && (l.remainingPct ?? 0) >= 10).length,
        changeWarnedOk: ls.filter((l) => (l.changeWarnedPct ?? 0) >= 10).length,
      };
    }),
    messages: list.reduce((s, m) => s + m.messages, 0),
    samples: list.reduce((s, m) => s + m.samples, 0),
    invalid: list.reduce((s, m) => s + m.invalid, 0),
    failures: list.reduce((s, m) => s + m.failures, 0),
  };
}
