import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AnalysisEngine, type EngineOutput } from '../../services/analysis/engine.js';
import { editRule } from '../../services/analysis/rule-edits.js';
import { defineRule } from '../../services/analysis/rules/index.js';
import type { AnyMessage, Sample, TopicAddress } from '../../services/contracts/index.js';
import { TELEMETRY_VARIABLE_NAMES } from '../../services/contracts/index.js';
import { cuttingSample, seeds, T0 } from './fixtures.js';

const addr: TopicAddress = { tenant: 'chenlong', machine: 'M1', kind: 'telemetry' };
let seq = 0;
const env = (ts: number) => ({ v: 1 as const, ts, bootId: 'b1', seq: seq++ });

function feed(e: AnalysisEngine, msg: AnyMessage): EngineOutput {
  return e.handle({ ...addr, kind: msg.kind }, msg);
}
function boot(e: AnalysisEngine, model = 'chenlong-gz4235') {
  feed(e, {
    kind: 'birth',
    payload: {
      ...env(T0),
      model,
      serial: 'S1',
      firmware: 'f',
      capabilities: [...TELEMETRY_VARIABLE_NAMES],
      sampleIntervalMs: 1000,
    },
  });
  feed(e, { kind: 'state', payload: { ...env(T0), state: 'running' } });
}
/** Sends one telemetry message per `n` seconds of samples built by `make`. */
function samples(e: AnalysisEngine, from: number, n: number, make: (ts: number, i: number) => Sample) {
  const outs: EngineOutput[] = [];
  for (let i = 0; i < n; i += 5) {
    const batch = Array.from({ length: Math.min(5, n - i) }, (_, k) => make(from + (i + k) * 1000, i + k));
    outs.push(feed(e, { kind: 'telemetry', payload: { ...env(batch.at(-1)!.ts), samples: batch } }));
  }
  return outs;
}
const raised = (outs: EngineOutput[]) => outs.flatMap((o) => o.events).filter((ev) => ev.action === 'raise');

describe('condition-monitoring rules through the engine', () => {
  it('threshold with duration and hysteresis (current at the nameplate rating → motor overload)', () => {
    const e = new AnalysisEngine({ seeds });
    boot(e);
    const rated = seeds.lookup.model.get('chenlong-gz4235')!.ratedCurrentA;
    // two seconds above the rating is not yet enough (forS 2 needs three samples)
    expect(raised(samples(e, T0, 2, (ts) => cuttingSample(ts, { motorCurrent: rated * 1.05 })))).toHaveLength(
      0,
    );
    const outs = samples(e, T0 + 2000, 5, (ts) => cuttingSample(ts, { motorCurrent: rated * 1.05 }));
    const [ev] = raised(outs);
    expect(ev).toMatchObject({ type: 'motor-overload', rule: 'current-at-limit@1', severity: 'critical' });
    // back under the clear level (0.9 × rated), but for less than clearForS: still active
    samples(e, T0 + 10_000, 30, (ts) => cuttingSample(ts, { motorCurrent: rated * 0.8 }));
    expect(e.warnings()[0]!.active).toBe(true);
  });

  it('flatline: a sensor that normally moves repeats one value for two minutes', () => {
    const e = new AnalysisEngine({ seeds });
    boot(e);
    const noisy = (ts: number, i: number) =>
      cuttingSample(ts, { power: 1.6 + 0.01 * Math.sin(i), motorCurrent: 4.2 + 0.01 * Math.cos(i) });
    samples(e, T0, 400, noisy);
    const outs = samples(e, T0 + 400_000, 150, (ts, i) => ({ ...noisy(ts, i), power: 1.234 }));
    const ev = raised(outs)[0];
    expect(ev).toMatchObject({ type: 'sensor-fault', rule: 'sensor-flatline@1' });
    expect(e.warning(ev!.warningId)!.evidence.flatVariables).toBe('power');
  });

  it('missing sensor: an announced variable stops arriving', () => {
    const e = new AnalysisEngine({ seeds });
    boot(e);
    const outs = samples(e, T0, 80, (ts) => {
      const { coolantFlow: _, ...rest } = cuttingSample(ts);
      return rest as Sample;
    });
    expect(raised(outs)[0]).toMatchObject({ type: 'sensor-fault', rule: 'sensor-missing@1' });
  });

  it('machine silent while it claims to be cutting (time-driven, receive clock)', () => {
    const e = new AnalysisEngine({ seeds });
    boot(e);
    samples(e, T0, 10, (ts) => cuttingSample(ts));
    expect(raised([e.tick(T0 + 40_000)])).toHaveLength(0);
    expect(raised([e.tick(T0 + 90_000)])[0]).toMatchObject({
      type: 'telemetry-loss',
      rule: 'machine-silent@1',
    });
  });

  it('rate of change: motor temperature climbing faster than 3 °C/min is reported (a weak symptom alone is no warning)', () => {
    const e = new AnalysisEngine({ seeds });
    boot(e);
    samples(e, T0, 400, (ts, i) => cuttingSample(ts, { motorTemp: 40 + i * 0.1 }));
    const m = e.machine('M1')!;
    expect([...m.symptoms.keys()]).toContain('motor-temp-rising');
    expect(e.warnings()).toHaveLength(0);
  });

  it('rules per machine model: overrides come from seeds/rules.json', () => {
    const e = new AnalysisEngine({ seeds });
    const rule = e.rules.byId.get('current-at-limit')!;
    expect((rule.paramsFor('julihuang-gz42100') as { forS: number }).forS).toBe(4);
    expect((rule.paramsFor('chenlong-gz4235') as { forS: number }).forS).toBe(2);
  });

  it('edits are versioned: the new version runs and warnings name id@version; bad edits are refused', () => {
    const e = new AnalysisEngine({ seeds });
    const current = e.rules.byId.get('current-at-limit')!.seed;
    const next = editRule(current, { params: { forS: 0 } }, e.ruleKinds, current.version + 1);
    expect(next.version).toBe(2);
    expect(() => editRule(current, { params: { forS: -1 } }, e.ruleKinds, 3)).toThrow(/forS/);
    expect(() => editRule(current, { bogus: 1 }, e.ruleKinds, 3)).toThrow();
    e.setRules(e.rules.rules.map((r) => (r.id === next.id ? next : r.seed)));
    boot(e);
    const rated = seeds.lookup.model.get('chenlong-gz4235')!.ratedCurrentA;
    const ev = raised(samples(e, T0, 1, (ts) => cuttingSample(ts, { motorCurrent: rated * 1.2 })))[0];
    expect(ev).toMatchObject({ rule: 'current-at-limit@2' });
  });
});

describe('isolation', () => {
  const boom = defineRule({
    kind: 'boom',
    description: 'fails on purpose',
    params: z.strictObject({}),
    init: () => ({}),
    onSample() {
      throw new Error('boom on purpose');
    },
  });

  it('a rule that throws is reported and quarantined; the other rules carry on', () => {
    const e = new AnalysisEngine({
      seeds,
      kinds: [boom],
      rules: [
        ...seeds.rules,
        {
          id: 'boom',
          version: 1,
          kind: 'boom',
          symptom: 'tension-low',
          enabled: true,
          description: 'x',
          params: {},
        },
      ],
    });
    boot(e);
    const rated = seeds.lookup.model.get('chenlong-gz4235')!.ratedCurrentA;
    const outs = samples(e, T0, 100, (ts) => cuttingSample(ts, { motorCurrent: rated * 1.2 }));
    const failures = outs.flatMap((o) => o.failures);
    expect(failures.length).toBeGreaterThanOrEqual(50);
    expect(failures[0]).toMatchObject({ rule: 'boom@1', machine: 'M1', message: 'boom on purpose' });
    expect(failures.length).toBeLessThan(100); // quarantined after 50 in a row
    expect(raised(outs).map((ev) => ev.type)).toEqual(['motor-overload']);
    expect(e.failureCounts.get('boom@1')).toBe(failures.length);
  });
});

describe('abrupt stop from the telemetry (a controller that reports no alarms)', () => {
  it('the blade stopping dead in an aborted cut is a breakage; a normal cut end is not', () => {
    // a controller that reports no alarms and no head position: the cut record says aborted
    const run = (completed: boolean) => {
      const e = new AnalysisEngine({ seeds });
      boot(e);
      const noHead = (ts: number) => {
        const { headPosition: _, ...rest } = cuttingSample(ts);
        return rest;
      };
      const stopAt = T0 + 60_000;
      const outs = samples(e, T0, 61, (ts) =>
        ts < stopAt ? noHead(ts) : { ...noHead(ts), bladeSpeed: 0, feedForce: 0, motorCurrent: 0, power: 0 },
      );
      outs.push(
        feed(e, {
          kind: 'cut',
          payload: {
            ...env(stopAt + 500),
            cutId: 'c-1',
            start: T0,
            end: stopAt,
            completed,
            material: { grade: '1045' },
            section: { shape: 'round', diameterMm: 120 },
            areaCm2: completed ? 113.1 : 60,
            cuttingRateCm2Min: 60,
            energyKWh: 0.03,
            cuttingEnergyKWh: 0.01,
            peakCurrentA: 4.4,
            meanCurrentA: 4.2,
            maxDeviationMm: 0.1,
            bladeId: 'B1',
          },
        }),
      );
      return raised(outs).map((ev) => ev.type);
    };
    expect(run(false)).toContain('blade-breakage');
    expect(run(true)).not.toContain('blade-breakage');
  });
});
