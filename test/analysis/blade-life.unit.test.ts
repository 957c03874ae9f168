import { describe, expect, it } from 'vitest';
import { estimateLife } from '../../services/analysis/blade-life/remaining.js';
import { BladeTracker, DEFAULT_BLADE_LIFE } from '../../services/analysis/blade-life/tracker.js';
import type { BladeSpec } from '../../services/contracts/index.js';
import { MIN, T0 } from './fixtures.js';

const LIFE = 30_000; // cm² of the reference material
const RISE = 0.4; // e_A +40 % at the end of life
const spec: BladeSpec = {
  bladeId: 'B1',
  type: 'bimetal-m42',
  widthMm: 34,
  thicknessMm: 1.1,
  lengthMm: 4115,
  tpi: '3/4',
};
const priors = {
  lifeFactor: (g: string) => (g === 'hard' ? 0.5 : 1),
  nominalLifeCm2: () => LIFE,
  breakInCm2: 645,
};

/** Cuts of `area` cm² on a blade whose ln e_A rises linearly with consumed life (+ noise, + steps). */
function cutBlade(
  t: BladeTracker,
  o: {
    cuts: number;
    area?: number;
    mul?: (i: number) => number;
    step?: number;
    at?: number;
    grades?: string[];
    blade?: string;
    /** extra ln e_A of single cuts (a half-stepped cut, an outlier) */
    extra?: (i: number) => number;
    /** relative standard error of each cut's e_A from its idle-power estimate */
    relSe?: number;
  },
) {
  const area = o.area ?? 150;
  let used = 0;
  const updates = [];
  for (let i = 0; i < o.cuts; i++) {
    const grade = o.grades ? o.grades[Math.floor(i / 20) % o.grades.length]! : '1045';
    const lf = priors.lifeFactor(grade);
    used += (area / (LIFE * lf)) * (o.mul?.(i) ?? 1);
    const level = grade === 'hard' ? 1.5 : 1;
    const noise = 0.004 * Math.sin(i * 1.7);
    const step = (o.step && i >= o.at! ? o.step : 0) + (o.extra?.(i) ?? 0);
    const eA = 700 * level * Math.exp(Math.log(1 + RISE) * used + noise + step);
    updates.push(
      t.onCut({
        ts: T0 + i * MIN,
        bladeId: o.blade ?? 'B1',
        grade,
        key: `${grade}|solid-m`,
        stepKey: `${grade}|round:100`,
        areaCm2: area,
        eA,
        completed: true,
        seconds: 120,
        ...(o.relSe === undefined ? {} : { relSe: o.relSe }),
      }),
    );
  }
  return { used, updates };
}

describe('blade life (DOMAIN §4)', () => {
  it('drops break-in, follows the steady wear and predicts the remaining life with a band', () => {
    const t = new BladeTracker(priors, { ...DEFAULT_BLADE_LIFE, endOfLifeRise: RISE });
    t.mounted(spec, true, T0);
    const { used, updates } = cutBlade(t, { cuts: 140 });
    expect(updates[0]!.inBreakIn).toBe(true);
    expect(updates.at(-1)!.inBreakIn).toBe(false);
    const est = estimateLife(t, t.current!, 1);
    expect(est.used).toBeCloseTo(used, 1);
    const rem = est.remaining!;
    expect(rem.percent).toBeCloseTo(100 * (1 - used), -1);
    const trueLeft = (1 - used) * LIFE;
    expect(rem.areaCm2).toBeGreaterThan(0.7 * trueLeft);
    expect(rem.areaCm2).toBeLessThan(1.3 * trueLeft);
    expect(rem.lowCm2).toBeLessThanOrEqual(rem.areaCm2);
    expect(rem.highCm2).toBeGreaterThanOrEqual(rem.areaCm2);
    expect(rem.cuts).toBe(Math.floor(rem.areaCm2 / 150));
    expect(est.ratioSelf).toBeGreaterThan(0.7);
    expect(est.ratioSelf).toBeLessThan(1.4);
  });

  it('tells a chipping step apart from wear: the step is removed from the trend', () => {
    const t = new BladeTracker(priors, { ...DEFAULT_BLADE_LIFE, endOfLifeRise: RISE });
    t.mounted(spec, true, T0);
    const { updates } = cutBlade(t, { cuts: 120, step: 0.12, at: 80 });
    const steps = updates.filter((u) => u?.step);
    expect(steps).toHaveLength(1);
    expect(steps[0]!.step!.size).toBeCloseTo(0.12, 1);
    const est = estimateLife(t, t.current!, 1);
    expect(est.steps).toBe(1);
    expect(est.ratioSelf!).toBeLessThan(1.5); // the wear rate itself did not change
  });

  it('judges a step against the noise the idle-power estimate puts into e_A', () => {
    const steps = (o: Parameters<typeof cutBlade>[1]) => {
      const t = new BladeTracker(priors, { ...DEFAULT_BLADE_LIFE, endOfLifeRise: RISE });
      t.mounted(spec, true, T0);
      return cutBlade(t, o).updates.filter((u) => u?.step);
    };
    // +11 % from cut 80 on: a step on a cut whose e_A is exact …
    expect(steps({ cuts: 120, step: 0.11, at: 80 })).toHaveLength(1);
    // … within the noise of a slow cut where 20–30 W of idle-power error is ±5 % of e_A
    expect(steps({ cuts: 120, step: 0.11, at: 80, relSe: 0.05 })).toHaveLength(0);
    // a chipped tooth that stands above that noise is still seen, at its own size
    const big = steps({ cuts: 120, step: 0.3, at: 80, relSe: 0.05 });
    expect(big).toHaveLength(1);
    expect(big[0]!.step!.size).toBeCloseTo(0.3, 1);
    // while the machine's idle power is not learned yet, no step is judged at all
    expect(steps({ cuts: 120, step: 0.3, at: 80, relSe: Number.POSITIVE_INFINITY })).toHaveLength(0);
  });

  it('does not read what is left of a step (a chip in the middle of a cut) as a faster wear trend', () => {
    const t = new BladeTracker(priors, { ...DEFAULT_BLADE_LIFE, endOfLifeRise: RISE });
    t.mounted(spec, true, T0);
    // the cut in which the tooth chipped carries a quarter of the step: below the step threshold
    const { updates } = cutBlade(t, { cuts: 90, step: 0.12, at: 80, extra: (i) => (i === 79 ? 0.035 : 0) });
    expect(updates.filter((u) => u?.step)).toHaveLength(1);
    const est = estimateLife(t, t.current!, 1);
    expect(est.ratioSelf!).toBeLessThan(1.5);
  });

  it('holds a lone cut far below the last comparable one out of the trend: it is no level for the next cut', () => {
    const t = new BladeTracker(priors, { ...DEFAULT_BLADE_LIFE, endOfLifeRise: RISE });
    t.mounted(spec, true, T0);
    // e.g. the idle power jumped back between a cut's approach and the cut itself
    const { updates } = cutBlade(t, { cuts: 100, extra: (i) => (i === 70 ? -1.5 : 0) });
    expect(updates[70]!.residual!).toBeLessThan(-1);
    expect(updates.filter((u) => u?.step)).toHaveLength(0); // the next cut is no "step" up
    expect(t.current!.points.some((p) => p.ts === T0 + 70 * MIN)).toBe(false);
    // a lasting lower level enters the trend from its second cut on (no step either)
    const t2 = new BladeTracker(priors, { ...DEFAULT_BLADE_LIFE, endOfLifeRise: RISE });
    t2.mounted(spec, true, T0);
    const r2 = cutBlade(t2, { cuts: 100, extra: (i) => (i >= 70 ? -0.2 : 0) });
    expect(r2.updates.filter((u) => u?.step)).toHaveLength(0);
    expect(t2.current!.points.some((p) => p.ts === T0 + 71 * MIN)).toBe(true);
  });

  it('sees a wear rate that steps up (abnormal wear) against the blade’s own earlier slope', () => {
    const t = new BladeTracker(priors, { ...DEFAULT_BLADE_LIFE, endOfLifeRise: RISE });
    t.mounted(spec, true, T0);
    cutBlade(t, { cuts: 80, mul: (i) => (i < 60 ? 1 : 4) });
    expect(estimateLife(t, t.current!, 1).ratioSelf!).toBeGreaterThan(2.5);
  });

  it('compares cuts only within a material × section class, so job changes are not wear', () => {
    const t = new BladeTracker(priors, { ...DEFAULT_BLADE_LIFE, endOfLifeRise: RISE });
    t.mounted(spec, true, T0);
    const { used } = cutBlade(t, { cuts: 140, grades: ['1045', 'hard'] });
    const est = estimateLife(t, t.current!, 1);
    expect(est.used!).toBeCloseTo(used, 1);
    expect(est.steps).toBe(0);
  });

  it('learns the end-of-life rise and the normal slope from blades its operators changed as worn', () => {
    const t = new BladeTracker(priors, { ...DEFAULT_BLADE_LIFE, endOfLifeRise: 0.2 });
    for (const id of ['B1', 'B2']) {
      t.mounted({ ...spec, bladeId: id }, true, T0);
      cutBlade(t, { cuts: 190, blade: id });
      t.dismounted(id, 'worn');
    }
    expect(Math.exp(t.endOfLife) - 1).toBeGreaterThan(0.3);
    t.mounted({ ...spec, bladeId: 'B3' }, true, T0);
    expect(t.normalSlope(t.current!)?.source).toBe('machine');
  });
});
