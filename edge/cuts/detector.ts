import type { Cut, Sample } from '../../services/contracts/index.js';
import type { Body } from '../../services/simulator/types.js';
import type { CutConfig } from '../config.js';
import { CutAccumulator } from './accumulator.js';

/** Blade considered running above these (whichever the controller reports). */
const RUNNING_SPEED = 0.5;
const RUNNING_CURRENT = 0.5;
/** running, not-cutting samples the idle load is the median of */
const IDLE_WINDOW = 31;
/** longest lead-in kept before a confirmed start */
const MAX_PREROLL = 256;

/** median of a small window */
function median(xs: readonly number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/**
 * Cut detection at the edge from current (or power), down-feed and head position:
 *
 *   cutting = blade running ∧ load on ∧ feeding (∧ head not rising)
 *
 * `load on` is an absolute threshold (`currentOnA` / `powerOnKw`) or, by default, the load
 * `loadRisePct` above the idle load (the median of recent running, not-cutting samples). A cut
 * is confirmed by `confirmSamples` samples above that threshold and then runs with hysteresis
 * (a quarter of the rise, or 90 % of an absolute threshold): it starts at the lead-in where the
 * load first left idle, and ends at the first of `confirmSamples` samples below, or when the
 * head reaches `bottomMm`. It is complete when the head got to the bottom (`bottomMm`, default
 * the bed at 0 mm), or always when no head position is reported.
 */
export class CutDetector {
  private readonly idleP: number[] = [];
  private readonly idleI: number[] = [];
  private preroll: Sample[] = [];
  private high = 0;
  private ending: Sample[] = [];
  private cut: CutAccumulator | undefined;
  private lastHead: number | undefined;
  private count = 0;
  /** Blade running in the latest sample (for state derivation). */
  running = false;

  constructor(
    private readonly cfg: CutConfig,
    private readonly intervalMs: number,
  ) {}

  get inCut(): boolean {
    return this.cut !== undefined;
  }

  get idlePowerKw(): number | undefined {
    return this.cfg.idlePowerKw ?? median(this.idleP);
  }

  get cuts(): number {
    return this.count;
  }

  /** P of a sample: reported, or estimated from the current when configured. */
  powerOf(s: Sample): number | undefined {
    if (s.power !== undefined) return s.power;
    const est = this.cfg.powerFromCurrent;
    if (est && s.motorCurrent !== undefined)
      return (Math.sqrt(3) * est.voltageV * s.motorCurrent * est.powerFactor) / 1000;
    return undefined;
  }

  /** Feeds one sample (in time order); returns the cut that this sample finished, if any. */
  push(s: Sample): Body<Cut> | null {
    const p = this.powerOf(s);
    const running = this.isRunning(s, p);
    this.running = running;
    const headRising =
      s.headPosition !== undefined && this.lastHead !== undefined && s.headPosition > this.lastHead + 0.05;
    if (s.headPosition !== undefined) this.lastHead = s.headPosition;
    const feeding = (s.downFeed === undefined || s.downFeed >= this.cfg.feedOnMmMin) && !headRising;
    const low = running && feeding && this.loadAbove(s, p, 0.25);

    if (!this.cut) {
      if (!low) {
        if (running && !this.loadAbove(s, p, 0.25)) this.learnIdle(s, p);
        this.preroll = [];
        this.high = 0;
        return null;
      }
      if (this.preroll.length >= MAX_PREROLL) this.preroll.shift();
      this.preroll.push(s);
      this.high = this.loadAbove(s, p, 1) ? this.high + 1 : 0;
      if (this.high < this.cfg.confirmSamples) return null;
      const first = this.preroll[0]!;
      this.cut = new CutAccumulator(first.ts, this.idlePowerKw ?? 0, this.intervalMs, first.headPosition);
      for (const q of this.preroll) this.cut.add(q, this.powerOf(q));
      this.preroll = [];
      this.high = 0;
      return this.atBottom() ? this.finish(s.ts + this.intervalMs, s.headPosition) : null;
    }
    if (low) {
      for (const q of this.ending) this.cut.add(q, this.powerOf(q));
      this.ending = [];
      this.cut.add(s, p);
      return this.atBottom() ? this.finish(s.ts + this.intervalMs, s.headPosition) : null;
    }
    this.ending.push(s);
    if (this.ending.length < this.cfg.confirmSamples) return null;
    const heads = this.ending.map((q) => q.headPosition).filter((h): h is number => h !== undefined);
    return this.finish(this.ending[0]!.ts, heads.length > 0 ? Math.min(...heads) : undefined);
  }

  /** Ends a cut in progress (controller lost, gateway stopping): reported as not completed. */
  abort(end: number): Body<Cut> | null {
    if (!this.cut) return null;
    return this.finish(end, undefined, false);
  }

  private finish(end: number, headAfter: number | undefined, mayComplete = true): Body<Cut> | null {
    const cut = this.cut!;
    this.cut = undefined;
    this.ending = [];
    if (end - cut.start < this.cfg.minDurationMs) return null;
    const heads = [cut.headNow, headAfter].filter((h): h is number => h !== undefined);
    const tolerance = Math.max(1, 0.03 * (cut.travelMm ?? 0));
    const completed = mayComplete && (heads.length === 0 || Math.min(...heads) <= this.bottom() + tolerance);
    this.count++;
    return cut.finish({ cutId: `c-${cut.start.toString(36)}`, end, completed, cfg: this.cfg });
  }

  private bottom(): number {
    return this.cfg.bottomMm ?? 0;
  }

  private atBottom(): boolean {
    const head = this.cut?.headNow;
    return this.cfg.bottomMm !== undefined && head !== undefined && head <= this.cfg.bottomMm;
  }

  private isRunning(s: Sample, p: number | undefined): boolean {
    if (s.bladeSpeed !== undefined) return s.bladeSpeed > RUNNING_SPEED;
    if (s.motorCurrent !== undefined) return s.motorCurrent > RUNNING_CURRENT;
    return p !== undefined && p > 0.05;
  }

  /** load above idle × (1 + share × rise), or above share-scaled absolute thresholds (90 % for the low one) */
  private loadAbove(s: Sample, p: number | undefined, share: number): boolean {
    const { currentOnA, powerOnKw, loadRisePct } = this.cfg;
    const abs = share >= 1 ? 1 : 0.9;
    if (currentOnA !== undefined && s.motorCurrent !== undefined) return s.motorCurrent >= currentOnA * abs;
    if (powerOnKw !== undefined && p !== undefined) return p >= powerOnKw * abs;
    const rise = 1 + (share * loadRisePct) / 100;
    const idleKw = this.idlePowerKw;
    if (p !== undefined) return idleKw !== undefined && p >= idleKw * rise;
    const idleA = median(this.idleI);
    if (s.motorCurrent !== undefined) return idleA !== undefined && s.motorCurrent >= idleA * rise;
    return false;
  }

  private learnIdle(s: Sample, p: number | undefined): void {
    const keep = (xs: number[], x: number) => {
      xs.push(x);
      if (xs.length > IDLE_WINDOW) xs.shift();
    };
    if (p !== undefined) keep(this.idleP, p);
    if (s.motorCurrent !== undefined) keep(this.idleI, s.motorCurrent);
  }
}
