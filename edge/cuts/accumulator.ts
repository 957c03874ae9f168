import type { Cut, Sample, Section } from '../../services/contracts/index.js';
import { areaBelowMm2, sectionAreaCm2, sectionHeightMm } from '../../services/simulator/index.js';
import type { Body } from '../../services/simulator/types.js';
import type { CutConfig } from '../config.js';

const KWMS_PER_KWH = 3_600_000;
const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

/**
 * The running sums of one cut: E = Σ P·Δt, E_cut = Σ max(0, P − P_idle)·Δt (DOMAIN §5), current,
 * speed, feed, force and deviation figures, and the head travel for the area (DOMAIN §1).
 * Δt of a sample is the time since the previous one, capped at 5 nominal intervals so a gap in
 * the readings (controller unreachable) does not turn into energy.
 */
export class CutAccumulator {
  private energyKwMs = 0;
  private cuttingKwMs = 0;
  private n = 0;
  private currentSum = 0;
  private currentN = 0;
  private peakCurrent = 0;
  private speedSum = 0;
  private speedN = 0;
  private feedSum = 0;
  private feedN = 0;
  private forceSum = 0;
  private forceN = 0;
  private maxDev = 0;
  private prevTs: number;
  readonly startHead: number | undefined;
  private lastHead: number | undefined;

  constructor(
    readonly start: number,
    private readonly idleKw: number,
    private readonly intervalMs: number,
    firstHead: number | undefined,
  ) {
    this.prevTs = start - intervalMs;
    this.startHead = firstHead;
    this.lastHead = firstHead;
  }

  add(sample: Sample, powerKw: number | undefined): void {
    const dt = Math.min(Math.max(0, sample.ts - this.prevTs), 5 * this.intervalMs);
    this.prevTs = sample.ts;
    this.n++;
    if (powerKw !== undefined) {
      this.energyKwMs += powerKw * dt;
      this.cuttingKwMs += Math.max(0, powerKw - this.idleKw) * dt;
    }
    const { motorCurrent: i, bladeSpeed: v, downFeed: f, feedForce: force, bladeDeviation: dev } = sample;
    if (i !== undefined) {
      this.currentSum += i;
      this.currentN++;
      this.peakCurrent = Math.max(this.peakCurrent, i);
    }
    if (v !== undefined) [this.speedSum, this.speedN] = [this.speedSum + v, this.speedN + 1];
    if (f !== undefined) [this.feedSum, this.feedN] = [this.feedSum + f, this.feedN + 1];
    if (force !== undefined) [this.forceSum, this.forceN] = [this.forceSum + force, this.forceN + 1];
    if (dev !== undefined) this.maxDev = Math.max(this.maxDev, Math.abs(dev));
    if (sample.headPosition !== undefined) this.lastHead = sample.headPosition;
  }

  get samples(): number {
    return this.n;
  }

  get headNow(): number | undefined {
    return this.lastHead;
  }

  /** head travel since the cut started (mm), when the controller reports the head position */
  get travelMm(): number | undefined {
    return this.startHead !== undefined && this.lastHead !== undefined
      ? Math.max(0, this.startHead - this.lastHead)
      : undefined;
  }

  finish(o: { cutId: string; end: number; completed: boolean; cfg: CutConfig }): Body<Cut> {
    const { section, areaCm2 } = this.area(o.cfg, o.completed);
    const minutes = Math.max(1, o.end - this.start) / 60_000;
    const energy = round(this.energyKwMs / KWMS_PER_KWH, 6);
    const mean = (sum: number, n: number) => (n > 0 ? sum / n : undefined);
    const opt = (k: string, v: number | undefined, d: number) =>
      v === undefined ? {} : { [k]: round(v, d) };
    return {
      ts: o.end,
      cutId: o.cutId,
      start: this.start,
      end: o.end,
      completed: o.completed,
      material: o.cfg.material,
      section,
      areaCm2: round(Math.min(areaCm2, 100_000), 2),
      cuttingRateCm2Min: round(Math.min(areaCm2 / minutes, 10_000), 2),
      energyKWh: energy,
      cuttingEnergyKWh: Math.min(energy, round(this.cuttingKwMs / KWMS_PER_KWH, 6)),
      peakCurrentA: round(Math.min(this.peakCurrent, 2000), 2),
      meanCurrentA: round(Math.min(mean(this.currentSum, this.currentN) ?? 0, 2000), 2),
      maxDeviationMm: round(Math.min(this.maxDev, 50), 3),
      ...opt('meanBladeSpeed', mean(this.speedSum, this.speedN), 2),
      ...opt('meanDownFeed', mean(this.feedSum, this.feedN), 2),
      ...opt('meanFeedForce', mean(this.forceSum, this.forceN), 1),
      bladeId: o.cfg.bladeId,
    };
  }

  /** Area: the configured section (partial below the head positions when aborted), else travel × width. */
  private area(cfg: CutConfig, completed: boolean): { section: Section; areaCm2: number } {
    const travel = this.travelMm;
    if (cfg.section) {
      if (completed || this.startHead === undefined || this.lastHead === undefined) {
        return { section: cfg.section, areaCm2: sectionAreaCm2(cfg.section) };
      }
      const top = Math.min(this.startHead, sectionHeightMm(cfg.section));
      const below = (y: number) => areaBelowMm2(cfg.section!, y);
      return { section: cfg.section, areaCm2: Math.max(0, below(top) - below(this.lastHead)) / 100 };
    }
    const width = cfg.workpieceWidthMm;
    if (width !== undefined && travel !== undefined && travel > 0) {
      return {
        section: { shape: 'rectangle', widthMm: width, heightMm: round(Math.min(travel, 3000), 1) },
        areaCm2: (width * travel) / 100,
      };
    }
    return { section: { shape: 'rectangle' }, areaCm2: 0 };
  }
}
