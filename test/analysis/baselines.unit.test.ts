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

describe('quantile by selection', () => {
  it('gives exactly what sorting gives, also with runs of equal values, for every q', () => {
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const bySort = (xs: number[], q: number) => {
      const a = Float64Array.from(xs).sort();
      const pos = Math.min(xs.length - 1, Math.max(0, q * (xs.length - 1)));
      const lo = Math.floor(pos);
      const hi = Math.min(xs.length - 1, lo + 1);
      return a[lo]! + (a[hi]! - a[lo]!) * (pos - lo);
    };
    for (let t = 0; t < 400; t++) {
      const n = 1 + Math.floor(rand() * 700);
      const kind = t % 4;
      const xs = Array.from(
        { length: n },
        (_, i) =>
          kind === 0
            ? rand() * 100 - 50
            : kind === 1
              ? Math.round(rand() * 3) // a quantised sensor: long runs of equal values
              : kind === 2
                ? 5 // flat
                : i, // sorted already
      );
      for (const q of [0, 0.1, 0.25, 0.5, 0.75, 0.9, 1, rand()]) expect(quantile(xs, q)).toBe(bySort(xs, q));
    }
    // the input is not modified
    const xs = [3, 1, 2, ...Array.from({ length: 100 }, (_, i) => 100 - i)];
    const copy = [...xs];
    median(xs);
    expect(xs).toEqual(copy);
  });
});
