import { describe, expect, it } from 'vitest';
import type { BladeLifeEstimate } from '../../services/analysis/blade-life/remaining.js';
import type { CutFeatures } from '../../services/analysis/features/cut-features.js';
import type { CutEvent, RuleCtx } from '../../services/analysis/rules/types.js';
import { lateFactor, wearRate } from '../../services/analysis/rules/wear-rate.js';
import { MIN, machine, seeds, T0 } from './fixtures.js';

/** The shipped parameters of the blade-wear-rate rule (seeds/rules.json). */
const shipped = wearRate.params.parse(seeds.rules.find((r) => r.id === 'blade-wear-rate')!.params);

function life(used: number, ratioNormal: number): BladeLifeEstimate {
  return {
    bladeId: 'B1',
    knownFromNew: true,
    cuts: 400,
    areaCm2: 20_000,
    steps: 0,
    used,
    rise: used * Math.log(1.35),
    ratioNormal,
    ratioNormalLow: ratioNormal * 0.8,
    normalSource: 'machine',
    remaining: { areaCm2: 1000, cuts: 10, percent: 100 * (1 - used), lowCm2: 800, highCm2: 1200 },
  };
}

/** Feeds `cuts` completed cuts with the same wear picture; returns whether the symptom got raised. */
function run(p: typeof shipped, est: BladeLifeEstimate, cuts = 4): boolean {
  const m = machine();
  const st = wearRate.init(m, p);
  let active = false;
  for (let i = 0; i < cuts; i++) {
    const ctx: RuleCtx = {
      m,
      ts: T0 + i * 5 * MIN,
      get active() {
        return active;
      },
      set(a: boolean) {
        active = a;
      },
    };
    const f = { cut: { completed: true }, eA: 60 } as unknown as CutFeatures;
    const e: CutEvent = { f, wear: undefined, life: est };
    wearRate.onCut!(st, ctx, e, p);
  }
  return active;
}

describe('blade-wear-rate late in the blade life', () => {
  it('needs ratios grown with the normal end-of-life speed-up beyond maxUsed', () => {
    const p = { maxUsed: 0.75, lateSpeedUp: 0.5, lateMaxUsed: 1.1 };
    expect(lateFactor(0.5, p)).toBe(1);
    expect(lateFactor(undefined, p)).toBe(1);
    expect(lateFactor(0.75, p)).toBeCloseTo(1);
    expect(lateFactor(1, p)).toBeCloseTo(1.5);
    expect(lateFactor(1.1, p)).toBe(0);
    expect(lateFactor(0.9, { ...p, lateSpeedUp: 0 })).toBe(0);
  });

  it('warns about wear far faster than normal on a blade with 85 % of its life used', () => {
    expect(shipped.lateSpeedUp).toBeGreaterThan(0);
    expect(run(shipped, life(0.85, 4))).toBe(true);
    // the same blade with the rule stopping at maxUsed (the earlier behaviour) stays silent
    expect(run({ ...shipped, lateSpeedUp: 0 }, life(0.85, 4))).toBe(false);
  });

  it('stays silent on the normal acceleration of a worn blade', () => {
    // just above the mid-life ratio needed, but within the end-of-life speed-up at 90 % used
    const r = shipped.ratioMachine * 1.1;
    expect(run(shipped, life(0.5, r))).toBe(true);
    expect(run(shipped, life(0.9, r))).toBe(false);
    // beyond the judged range the blade is due for a change anyway
    expect(run(shipped, life(shipped.lateMaxUsed + 0.05, 10))).toBe(false);
  });
});

describe('blade-wear-rate against the machine’s normal slope', () => {
  it('needs the blade to wear faster than it did earlier, when it has an earlier trend of its own', () => {
    expect(shipped.selfForNormal).toBeGreaterThan(1);
    const est = (ratioSelf: number | undefined) => ({
      ...life(0.5, shipped.ratioMachine * 1.2),
      ...(ratioSelf === undefined ? {} : { ratioSelf, ratioSelfLow: ratioSelf * 0.9 }),
    });
    // no earlier trend yet (abnormal wear from the start): the normal slope alone decides
    expect(run(shipped, est(undefined))).toBe(true);
    // faster than normal, but as fast as it always was on this blade: not dulling abnormally now
    expect(run(shipped, est(1.1))).toBe(false);
    expect(run({ ...shipped, selfForNormal: 0 }, est(1.1))).toBe(true);
    // faster than normal and than its own earlier trend
    expect(run(shipped, est(shipped.selfForNormal + 0.1))).toBe(true);
  });
});

describe('blade-wear-rate against the blade’s own earlier slope', () => {
  it('compares with the earlier slope only when it is the blade’s own, not the floor under it', () => {
    // recent slope 1.9 × the normal one: below what the normal test needs …
    const normal = shipped.ratioMachine * 0.75;
    // … but 3.2 × the blade's own earlier slope: abnormal for this blade
    const own = { ...life(0.5, normal), ratioSelf: 3.2, ratioSelfLow: 3 };
    expect(run(shipped, own)).toBe(true);
    // the same 3.2 × against a floor of 0.6 × the normal slope (the blade's earlier trend was flat
    // or noise) is only 1.9 × the normal slope: the normal test decides, and it is not met
    expect(run(shipped, { ...own, selfFloored: true })).toBe(false);
    // far beyond the normal slope it is still abnormal wear
    expect(
      run(shipped, {
        ...own,
        ...life(0.5, shipped.ratioMachine * 1.2),
        ratioSelf: 3.2,
        ratioSelfLow: 3,
        selfFloored: true,
      }),
    ).toBe(true);
  });
});
