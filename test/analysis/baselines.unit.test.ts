import { describe, expect, it } from 'vitest';
import { RobustBaseline } from '../../services/analysis/baselines/baseline.js';
import { ConditionalBaseline } from '../../services/analysis/baselines/conditional.js';
import { cusumStep, ewmaStep } from '../../services/analysis/baselines/cusum.js';
import { mad, median, quantile, theilSen } from '../../services/analysis/baselines/robust.js';
import { countSpikes, spikes } from '../../services/analysis/features/spikes.js';

describe('robust statistics', () => {
  it('median, MAD and quantiles ignore a minority of outliers', () => {
    const xs = [10, 11, 9, 10, 10, 11, 9, 1000, -500];
    expect(median(xs)).toBe(10);
    expect(mad(xs)).toBe(1);
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(Number.isNaN(median([]))).toBe(true);
  });

  it('Theil–Sen finds the common slope of groups with different levels', () => {
    const x: number[] = [];
    const y: number[] = [];
    const group: number[] = [];
    for (let i = 0; i < 30; i++) {
      x.push(i);
      group.push(i % 3);
      y.push(2 * i + 100 * (i % 3) + (i === 7 ? 500 : 0));
    }
    const fit = theilSen(x, y, (i, j) => group[i] === group[j]);
    expect(fit!.slope).toBeCloseTo(2, 6);
    expect(theilSen([1], [1])).toBeNull();
  });
});

describe('baselines', () => {
  it('learns a median/MAD baseline and refuses to learn outliers once ready', () => {
    const b = new RobustBaseline({ minCount: 20, relFloor: 0 });
    for (let i = 0; i < 40; i++) b.add(100 + (i % 5) - 2);
    expect(b.ready).toBe(true);
    expect(b.median).toBe(100);
    expect(b.z(100)).toBe(0);
    expect(b.add(200)).toBe(false); // a fault does not teach the baseline it is normal
    expect(b.z(200)).toBeGreaterThan(10);
  });

  it('has a relative σ floor so a quantised, constant signal does not alarm on noise', () => {
    const b = new RobustBaseline({ minCount: 5, relFloor: 0.01 });
    for (let i = 0; i < 10; i++) b.add(180);
    expect(b.scale).toBeCloseTo(1.8);
    expect(b.z(178.2)).toBeCloseTo(-1);
  });

  it('keeps a bounded history, thinning the oldest half', () => {
    const b = new RobustBaseline({ capacity: 100, minCount: 1, learnZ: 1e9, absFloor: 1 });
    for (let i = 0; i < 1000; i++) b.add(i);
    expect(b.snapshot().values.length).toBeLessThanOrEqual(100);
    expect(b.count).toBe(1000);
  });

  it('keeps one baseline per operating band and never borrows a neighbour', () => {
    const c = new ConditionalBaseline([0.5], { minCount: 3 });
    for (let i = 0; i < 5; i++) c.add(0.2, 2);
    expect(c.get(0.2)?.median).toBe(2);
    expect(c.get(0.8)).toBeNull();
  });

  it('CUSUM accumulates a sustained shift and forgets noise; EWMA smooths', () => {
    const c = { s: 0 };
    for (const z of [0.5, -1, 0.3, -0.2]) cusumStep(c, z, 1);
    expect(c.s).toBe(0);
    for (let i = 0; i < 10; i++) cusumStep(c, 2, 1);
    expect(c.s).toBe(10);
    const e = { value: null as number | null };
    ewmaStep(e, 10, 0.5);
    expect(ewmaStep(e, 20, 0.5)).toBe(15);
  });
});

describe('spike counting', () => {
  const base = Array.from({ length: 60 }, (_, i) => 10 + 0.05 * Math.sin(i));
  it('counts single-sample excursions, not steps or ramps', () => {
    const spiky = [...base];
    spiky[20] = 13;
    spiky[40] = 12.5;
    expect(countSpikes(spiky, 0.05, 6, 0)).toBe(2);
    const step = base.map((v, i) => (i < 30 ? v : v + 5));
    expect(countSpikes(step, 0.05, 6, 0)).toBe(0);
    const ramp = base.map((v, i) => v + i * 0.3);
    expect(countSpikes(ramp, 0.05, 6, 0)).toBe(0);
  });

  it('sums the energy the spikes add above the local level; a step or a ramp adds none', () => {
    const spiky = [...base];
    spiky[20] = 13;
    spiky[40] = 12.5;
    const r = spikes(spiky, 0.05, 6, 0);
    expect(r.count).toBe(2);
    expect(r.excess).toBeCloseTo(3 + 2.5, 0);
    expect(
      spikes(
        base.map((v, i) => (i < 30 ? v : v + 5)),
        0.05,
        6,
        0,
      ).excess,
    ).toBe(0);
    expect(
      spikes(
        base.map((v, i) => v + i * 0.3),
        0.05,
        6,
        0,
      ).excess,
    ).toBe(0);
  });
});
