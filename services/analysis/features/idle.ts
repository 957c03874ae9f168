import type { RobustBaseline } from '../baselines/baseline.js';
import { median } from '../baselines/robust.js';

export interface IdleShiftOptions {
  /** approaches (cuts) the recent idle level is the median of */
  cuts: number;
  /** the recent level starts to replace the long-run one at this z (standard errors of the median) … */
  zFrom: number;
  /** … and replaces it fully from this z on (linear in between, so e_A has no jump) */
  zTo: number;
}

export const DEFAULT_IDLE_SHIFT: IdleShiftOptions = { cuts: 5, zFrom: 2, zTo: 4 };

/** standard error of a median of n normal values ≈ 1.25 σ / √n */
const MEDIAN_SE = 1.25;

/**
 * The idle power P_idle that e_A (DOMAIN §5: E_cut = ∫(P − P_idle) dt) is computed with, as a prior
 * for the few approach samples of a cut. Normally the machine's long-run learned idle power (least
 * noise). When the recent approaches show that the idle power itself has moved (friction of a
 * wearing wheel bearing, DOMAIN §2: the long-run baseline does not learn values far from it), the
 * median of the last few approaches takes over, smoothly with the shift's significance: otherwise
 * the extra running power of the drive would be read as cutting energy, i.e. as blade wear or a
 * chipping step.
 */
export class RecentIdle {
  private readonly values: number[] = [];

  constructor(private readonly o: IdleShiftOptions = DEFAULT_IDLE_SHIFT) {}

  /** Idle power (kW) measured in one cut's approach. */
  add(kw: number): void {
    if (!Number.isFinite(kw)) return;
    this.values.push(kw);
    if (this.values.length > this.o.cuts) this.values.shift();
  }

  /** The idle prior for the next cut: the long-run level, or the recent one when it moved. */
  prior(longRun: RobustBaseline): number | undefined {
    if (!longRun.ready) return undefined;
    const base = longRun.median;
    if (this.values.length < this.o.cuts) return base;
    const level = median(this.values);
    const se = (MEDIAN_SE * longRun.scale) / Math.sqrt(this.values.length);
    const z = Math.abs(level - base) / se;
    const w = Math.min(1, Math.max(0, (z - this.o.zFrom) / (this.o.zTo - this.o.zFrom)));
    return base + w * (level - base);
  }
}
