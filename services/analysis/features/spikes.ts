const med3 = (a: number, b: number, c: number) => a + b + c - Math.max(a, b, c) - Math.min(a, b, c);

/**
 * Robust noise σ of a series from its first differences: the lower quartile of |Δx| (for Gaussian
 * noise 0.4506 σ), so frequent spikes — which contaminate up to two differences each — cannot
 * inflate the noise estimate and hide themselves.
 */
export function noiseSigma(x: readonly number[]): number {
  if (x.length < 3) return 0;
  const d = new Float64Array(x.length - 1);
  for (let i = 1; i < x.length; i++) d[i - 1] = Math.abs(x[i]! - x[i - 1]!);
  d.sort();
  return d[d.length >> 2]! / 0.4506;
}

/**
 * Single-sample excursions above the local level: x[i] counts as a spike when it exceeds the
 * larger of the medians of its 3 neighbours on each side by more than `rel` × level, `sigmas` ×
 * the series' noise σ and `abs`. Steps and ramps (start and end of a cut, the shape of a
 * section) are not spikes, because the neighbours on one side follow the new level. Returns their
 * number and their summed height above the local level (the energy they add, unit of x × samples).
 */
export function spikes(
  x: readonly number[],
  rel: number,
  sigmas: number,
  abs: number,
): { count: number; excess: number } {
  const n = x.length;
  if (n < 7) return { count: 0, excess: 0 };
  const floor = Math.max(abs, sigmas * noiseSigma(x));
  let count = 0;
  let excess = 0;
  for (let i = 3; i < n - 3; i++) {
    const v = x[i]!;
    const before = med3(x[i - 3]!, x[i - 2]!, x[i - 1]!);
    const after = med3(x[i + 1]!, x[i + 2]!, x[i + 3]!);
    const level = Math.max(before, after);
    if (v - level > Math.max(rel * Math.abs(level), floor)) {
      count++;
      excess += v - level;
    }
  }
  return { count, excess };
}

/** Number of single-sample excursions above the local level (see `spikes`). */
export function countSpikes(x: readonly number[], rel: number, sigmas: number, abs: number): number {
  return spikes(x, rel, sigmas, abs).count;
}
