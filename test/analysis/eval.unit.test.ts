import { describe, expect, it } from 'vitest';
import { scoreRun } from '../../services/analysis/eval/metrics.js';
import { renderSummary, spliceReport } from '../../services/analysis/eval/report.js';
import { type EvalRun, runEvaluation } from '../../services/analysis/eval/runner.js';
import { summarize } from '../../services/analysis/eval/summary.js';
import type { LifecycleEvent } from '../../services/analysis/lifecycle/record.js';
import { demoFleetMachines, type OutMessage, runOffline } from '../../services/simulator/index.js';
import { seeds } from './fixtures.js';

const H = 3_600_000;
const START = Date.UTC(2025, 2, 3, 0, 0, 0);

describe('evaluation runner', () => {
  it('feeds exactly the message stream runOffline produces (same seed, same plan)', () => {
    const machines = demoFleetMachines(seeds).slice(0, 3);
    const plan = [
      {
        machineId: machines[0]!.machineId,
        fault: 'hydraulic-leak' as const,
        onsetTs: START + 10 * 60_000,
        rampMs: 20 * 60_000,
      },
    ];
    const seen: OutMessage[] = [];
    const run = runEvaluation({
      seeds,
      seed: 5,
      days: 1 / 24,
      machines,
      plan,
      onMessage: (m) => seen.push(m),
    });
    const offline = runOffline(machines, START, START + H, { seeds, seed: 5, faults: plan });
    expect(seen.map((m) => [m.topic, m.payload])).toEqual(offline.messages.map((m) => [m.topic, m.payload]));
    expect(run.labels).toEqual(offline.labels);
    expect(run.invalid).toBe(0);
  });
});

describe('scoring', () => {
  const ev = (over: Partial<LifecycleEvent>): LifecycleEvent => ({
    ts: START,
    warningId: 'w1',
    tenant: 't',
    machine: 'A',
    type: 'hydraulic-leak',
    rule: 'r@1',
    action: 'raise',
    state: 'raised',
    severity: 'warning',
    occurrences: 1,
    by: null,
    note: null,
    ...over,
  });
  const run: EvalRun = {
    seed: 1,
    startMs: START,
    endMs: START + 24 * H,
    plan: [],
    labels: [
      { machineId: 'A', fault: 'hydraulic-leak', onsetTs: START + H, endTs: START + 5 * H, severity: 0.5 },
      {
        machineId: 'A',
        fault: 'blade-breakage',
        onsetTs: START + 6 * H,
        eventTs: START + 7 * H,
        endTs: START + 8 * H,
        severity: 0.5,
      },
    ],
    events: [
      ev({ ts: START + 2 * H }), // true, 60 min after onset
      ev({ warningId: 'w2', type: 'crooked-cut', ts: START + 3 * H }), // misdiagnosed
      ev({ warningId: 'w3', type: 'blade-breakage', ts: START + 7 * H + 1000, severity: 'critical' }), // 1 s after the break
      ev({ warningId: 'w4', type: 'tension-loss', ts: START + 20 * H }), // false: nothing active
      ev({ warningId: 'w5', type: 'coolant-failure', machine: 'B', ts: START + 2 * H }), // false on a healthy machine
    ],
    remaining: {},
    truth: { A: [], B: [] },
    dismounts: [],
    machines: ['A', 'B'],
    messages: 10,
    samples: 50,
    invalid: 0,
    failures: 0,
  };

  it('counts detections per label, true/misdiagnosed/false per warning, delays from onset and event', () => {
    const m = scoreRun(run, () => 'fault');
    expect(m.labels.map((l) => [l.fault, l.detected, l.delayS, l.eventDelayS])).toEqual([
      ['hydraulic-leak', true, 3600, undefined],
      ['blade-breakage', true, 3600 + 1, 1],
    ]);
    expect(m.activations.map((a) => a.match)).toEqual(['true', 'misdiagnosed', 'true', 'false', 'false']);
    expect(m.healthyMachines).toBe(1);
    expect(m.healthyWarnings).toBe(1);
    const s = summarize([m], ['hydraulic-leak', 'blade-breakage', 'crooked-cut']);
    expect(s.rows.find((r) => r.fault === 'crooked-cut')).toMatchObject({
      warnings: 1,
      truePositive: 0,
      precision: 0,
    });
    expect(s.rows.find((r) => r.fault === 'blade-breakage')).toMatchObject({ recall: 1, maxEventDelayS: 1 });
    const md = renderSummary('Test', s);
    expect(md).toContain('| hydraulic-leak | 1 | 1 | 100 % |');
    expect(spliceReport('# Doc\n\nprose\n<!-- eval:begin -->\nold\n<!-- eval:end -->\nmore', 'NEW')).toBe(
      '# Doc\n\nprose\n<!-- eval:begin -->\nNEW\n<!-- eval:end -->\nmore',
    );
  });

  it('blade wear: reports when the operator was first told to change the blade, by either kind of blade warning', () => {
    const wear: EvalRun = {
      ...run,
      labels: [
        // late in life: caught only by the blade-change notice that was already up at the onset
        { machineId: 'A', fault: 'blade-wear', onsetTs: START + 2 * H, endTs: START + 6 * H, severity: 0.5 },
        // early in life: the abnormal-wear warning comes when 20 % of the life is left
        { machineId: 'B', fault: 'blade-wear', onsetTs: START + 2 * H, endTs: START + 9 * H, severity: 0.5 },
      ],
      events: [
        ev({ type: 'blade-life', ts: START + H, severity: 'info' }),
        ev({ warningId: 'w2', machine: 'B', type: 'blade-wear', ts: START + 4 * H }),
        // a notice after the fault ended does not count
        ev({ warningId: 'w3', machine: 'B', type: 'blade-life', ts: START + 12 * H, severity: 'info' }),
      ],
      truth: {
        A: [0, 1, 2, 3].map((h) => ({ ts: START + h * H, bladeId: 'a', used: 0.8 + 0.02 * h })),
        B: [0, 2, 4, 6].map((h) => ({ ts: START + h * H, bladeId: 'b', used: 0.2 * h })),
      },
    };
    const m = scoreRun(wear, (t) => (t === 'blade-life' ? 'notice' : 'fault'));
    const r = (x: number | undefined) => (x === undefined ? x : Math.round(x * 1000) / 1000);
    expect(m.labels.map((l) => [l.detected, r(l.usedAtOnset), r(l.changeWarnedPct)])).toEqual([
      [false, 0.84, 16],
      [true, 0.4, 20],
    ]);
    expect(r(m.labels[1]!.remainingPct)).toBe(20);
    const b = summarize([m], ['blade-wear']).wearBuckets;
    expect(b.find((x) => x.label === '≥ 75 % used')).toMatchObject({
      labels: 1,
      detected: 0,
      changeWarnedOk: 1,
    });
    expect(b.find((x) => x.label === '25–50 % used')).toMatchObject({
      labels: 1,
      detected: 1,
      changeWarnedOk: 1,
    });
  });
});
