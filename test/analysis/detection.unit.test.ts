import { describe, expect, it } from 'vitest';
import { scoreRun } from '../../services/analysis/eval/metrics.js';
import { type EvalRunOptions, runEvaluation } from '../../services/analysis/eval/runner.js';
import {
  demoFleetMachines,
  FAULT_KINDS,
  type FaultKind,
  type FaultSpec,
} from '../../services/simulator/index.js';
import { seeds } from './fixtures.js';

/**
 * Each failure mode of DOMAIN §2 on one simulated saw (working around the clock on one job, a
 * fresh blade), with the onset after a few hours in which the baselines are learned: the engine
 * must raise a warning of that type during the fault, and nothing before it.
 */
const H = 3_600_000;
const START = Date.UTC(2025, 2, 3, 0, 0, 0);
const machine = demoFleetMachines(seeds).find((m) => m.machineId === 'CL-GZ4235-001')!;

function scenario(fault: FaultKind): FaultSpec {
  const onsetTs = START + 6 * H;
  const base: FaultSpec = { machineId: machine.machineId, fault, onsetTs, severity: 0.7 };
  if (fault === 'blade-breakage') return { ...base, rampMs: 40 * 60_000 };
  if (fault === 'motor-overload') return { ...base, rampMs: 3 * 60_000 };
  return {
    ...base,
    rampMs: 2 * H,
    ...(['hydraulic-leak', 'coolant-failure', 'wheel-bearing-wear', 'chip-brush-failure'].includes(fault)
      ? { durationMs: 10 * H }
      : {}),
  };
}

/** One saw, one fault; the fault's label scored, and the fault warnings raised before its onset. */
function detect(fault: FaultKind, extra: Partial<EvalRunOptions> = {}) {
  const run = runEvaluation({
    seeds,
    seed: 7,
    days: 0.6,
    machines: [machine],
    plan: [scenario(fault)],
    tuning: {
      schedule: 'always',
      job: { grade: '1045', section: { shape: 'round', diameterMm: 120 } },
      initialBladeUse: 0,
    },
    ...extra,
  });
  const m = scoreRun(run, (t) => seeds.lookup.fault.get(t)?.category ?? 'fault');
  expect(m.labels, 'the fault happened').toHaveLength(1);
  const label = m.labels[0]!;
  expect(label.detected, `${fault} not detected; raised instead: ${label.raisedInstead.join(', ')}`).toBe(
    true,
  );
  const before = m.activations.filter((a) => a.ts < label.onsetTs && a.category !== 'notice');
  expect(before, 'no fault warning before the onset').toEqual([]);
  return label;
}

describe.each(FAULT_KINDS)('detection: %s', (fault) => {
  it('is warned about during the fault, with that type (top cause), and not before', () => {
    const label = detect(fault);
    if (label.eventDelayS !== undefined) expect(label.eventDelayS).toBeLessThanOrEqual(2);
  });
});

describe.each<FaultKind>(['blade-breakage', 'motor-overload'])(
  'detection from the telemetry alone (a controller that reports no alarms): %s',
  (fault) => {
    it('is warned about within 2 s of the event, with that type, and not before', () => {
      const label = detect(fault, {
        withholdAlarms: true,
        // the stop is seen when the message carrying it arrives: one sample per message here (with
        // 5-sample batches the warning waits for the batch, up to 4 s more)
        samplesPerMessage: 1,
      });
      expect(label.eventDelayS).toBeLessThanOrEqual(2);
    });
  },
);
