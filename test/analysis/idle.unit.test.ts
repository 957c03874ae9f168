import { describe, expect, it } from 'vitest';
import { RobustBaseline } from '../../services/analysis/baselines/baseline.js';
import { RecentIdle } from '../../services/analysis/features/idle.js';

/** per-cut approach idle power around `kw` with ±0.5 % scatter */
const noisy = (kw: number, i: number) => kw * (1 + 0.005 * Math.sin(i * 1.7));

function learn(kw: number, cuts: number) {
  const longRun = new RobustBaseline({ minCount: 5, learnZ: 6 });
  const recent = new RecentIdle();
  for (let i = 0; i < cuts; i++) {
    longRun.add(noisy(kw, i));
    recent.add(noisy(kw, i));
  }
  return { longRun, recent };
}

describe('idle power for e_A (DOMAIN §5: E_cut = ∫(P − P_idle) dt)', () => {
  it('uses the long-run idle power while the approaches scatter around it', () => {
    const { longRun, recent } = learn(1, 40);
    expect(recent.prior(longRun)).toBe(longRun.median);
    expect(new RecentIdle().prior(new RobustBaseline({ minCount: 5 }))).toBeUndefined();
  });

  it('follows the approaches when the idle power itself moved (bearing friction), which the long-run baseline refuses to learn', () => {
    const { longRun, recent } = learn(1, 40);
    for (let i = 0; i < 5; i++) {
      longRun.add(noisy(1.15, i));
      recent.add(noisy(1.15, i));
    }
    expect(longRun.median).toBeCloseTo(1, 2); // +15 % is beyond its learnZ: not learned
    expect(recent.prior(longRun)!).toBeCloseTo(1.15, 2);
  });

  it('blends smoothly between the two, so a small shift does not make a step in e_A', () => {
    const { longRun, recent } = learn(1, 40);
    const se = (1.25 * longRun.scale) / Math.sqrt(5);
    const priors = [1, 2, 3, 4, 5].map((z) => {
      const r = new RecentIdle();
      for (let i = 0; i < 5; i++) r.add(longRun.median + z * se);
      return (r.prior(longRun)! - longRun.median) / se;
    });
    expect(priors[0]).toBeCloseTo(0, 6);
    expect(priors[1]).toBeCloseTo(0, 6); // within 2 standard errors: noise
    expect(priors[2]).toBeGreaterThan(0.5);
    expect(priors[2]).toBeLessThan(3);
    expect(priors[3]).toBeCloseTo(4, 6);
    expect(priors[4]).toBeCloseTo(5, 6);
    expect(recent.prior(longRun)).toBe(longRun.median);
  });
});
