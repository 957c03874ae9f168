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
});
