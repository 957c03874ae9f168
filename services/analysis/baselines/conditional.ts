import { type BaselineOptions, RobustBaseline } from './baseline.js';

/**
 * Baselines of one feature per operating condition (e.g. vibration per load band, hydraulic
 * pressure per feed-force band): one RobustBaseline per bin. A band is only judged once it has
 * history of its own (a neighbouring band would be a different operating point).
 */
export class ConditionalBaseline {
  private readonly bins: RobustBaseline[];

  constructor(
    private readonly edges: readonly number[],
    options: BaselineOptions = {},
  ) {
    this.bins = Array.from({ length: edges.length + 1 }, () => new RobustBaseline(options));
  }

  binOf(condition: number): number {
    let i = 0;
    while (i < this.edges.length && condition >= this.edges[i]!) i++;
    return i;
  }

  /** The baseline of `condition`'s band if it is ready, else null. */
  get(condition: number): RobustBaseline | null {
    const b = this.bins[this.binOf(condition)]!;
    return b.ready ? b : null;
  }

  add(condition: number, x: number): boolean {
    return this.bins[this.binOf(condition)]!.add(x);
  }
}
