import { describe, expect, it } from 'vitest';
import { type AnonRecord, anonymise, OTHER } from '../../services/databases/market/anonymise.js';

const rec = (machine: string, region: string, industry: string, v = 1): AnonRecord => ({
  machine,
  key: [region, industry],
  values: { v },
});

describe('anonymise (k-anonymous buckets)', () => {
  it('keeps buckets of ≥ k machines, merges smaller ones upwards, suppresses the rest', () => {
    const records = [
      ...['a1', 'a2', 'a3', 'a4', 'a5'].map((m) => rec(m, 'zj', 'auto')), // 5: kept
      ...['b1', 'b2', 'b3'].map((m) => rec(m, 'zj', 'mould')), // 3 ↘
      ...['c1', 'c2'].map((m) => rec(m, 'zj', 'bearings')), //     2 ↗ (zj, other) = 5
      ...['d1', 'd2'].map((m) => rec(m, 'js', 'auto')), // 2 ↘
      ...['e1', 'e2'].map((m) => rec(m, 'gd', 'oil')), //  2 ↗ (other, other) = 4: suppressed
    ];
    const { buckets, suppressed } = anonymise(records, 5);
    expect(buckets.map((b) => [b.key.join('/'), b.machines, b.values.v])).toEqual([
      ['zj/auto', 5, 5],
      [`zj/${OTHER}`, 5, 5],
    ]);
    expect(suppressed).toBe(4);
  });

  it('counts distinct machines, not records', () => {
    const many = Array.from({ length: 20 }, (_, i) => rec(`m${i % 4}`, 'zj', 'auto'));
    const { buckets, suppressed } = anonymise(many, 5);
    expect(buckets).toEqual([]);
    expect(suppressed).toBe(4);
  });

  it('never outputs a bucket below k, whatever the input', () => {
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let trial = 0; trial < 50; trial++) {
      const records = Array.from({ length: 5 + rnd(60) }, () =>
        rec(`m${rnd(30)}`, `r${rnd(4)}`, `i${rnd(5)}`, rnd(10)),
      );
      const { buckets, suppressed } = anonymise(records, 5);
      for (const b of buckets) expect(b.machines).toBeGreaterThanOrEqual(5);
      const total = records.reduce((s, r) => s + r.values.v!, 0);
      const kept = buckets.reduce((s, b) => s + b.values.v!, 0);
      expect(kept).toBeLessThanOrEqual(total);
      if (suppressed === 0) expect(kept).toBe(total);
    }
  });
});
