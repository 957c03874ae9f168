import type { BladeSpec } from '../../contracts/index.js';
import type { WearPoint } from './slopes.js';
import type { CutEnergy } from './steps.js';

/** One blade loop as the analysis follows it, from mount (or first sight) to dismount. */
export class BladeRecord {
  /** area cut since mount (or since first seen), cm² */
  areaCm2 = 0;
  /** same in equivalent area of the reference material (area / material life factor) */
  x = 0;
  cuts = 0;
  /** post-break-in wear points (steps removed) */
  readonly points: WearPoint[] = [];
  /** recent residuals of ln e_A against the expected level (for the step detector's noise scale) */
  readonly residuals: number[] = [];
  /** sum of the detected chipping steps (ln units) */
  stepOffset = 0;
  readonly steps: { ts: number; size: number }[] = [];
  pendingStep: { ts: number; size: number; waited: number } | null = null;
  /** integrated wear since break-in (ln e_A rise), for blades followed from new */
  wear = 0;
  /** last point of each exact section on this blade (and its cut number), for step detection */
  readonly lastByKey = new Map<string, { point: WearPoint; index: number; energy: CutEnergy }>();
  lastAreas: number[] = [];

  constructor(
    readonly id: string,
    readonly spec: BladeSpec | undefined,
    /** true when it was mounted new while observed: its run-in level and area are known */
    readonly knownFromNew: boolean,
    readonly since: number,
  ) {}

  get typicalCutCm2(): number {
    const a = [...this.lastAreas].sort((p, q) => p - q);
    return a.length ? a[Math.floor(a.length / 2)]! : 0;
  }
}
