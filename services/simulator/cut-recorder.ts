import type { Cut, Sample, Section } from '../contracts/messages.js';
import type { Body } from './types.js';

const KWMS_PER_KWH = 3_600_000;

/**
 * Accumulates one cut from the samples the simulator publishes, so the cut record is exactly
 * what a consumer can recompute from the telemetry: E = Σ P·Δt over the samples in
 * [start, end); cutting share Σ max(0, P − P_idle)·Δt with P_idle the model's configured idle
 * power; means over the samples in the cut (speed, feed, force: cutting samples only).
 */
export class CutRecorder {
  private energyKwMs = 0;
  private cuttingKwMs = 0;
  private samples = 0;
  private cuttingSamples = 0;
  private currentSum = 0;
  private peakCurrent = 0;
  private speedSum = 0;
  private feedSum = 0;
  private forceSum = 0;
  private maxDev = 0;

  constructor(
    readonly cutId: string,
    readonly start: number,
    readonly grade: string,
    readonly classId: string,
    readonly section: Section,
    readonly bladeId: string,
    private readonly intervalMs: number,
    private readonly idleKw: number,
  ) {}

  add(sample: Sample, cutting: boolean): void {
    const p = sample.power ?? 0;
    const i = sample.motorCurrent ?? 0;
    this.energyKwMs += p * this.intervalMs;
    this.cuttingKwMs += Math.max(0, p - this.idleKw) * this.intervalMs;
    this.samples++;
    this.currentSum += i;
    this.peakCurrent = Math.max(this.peakCurrent, i);
    if (!cutting) return;
    this.cuttingSamples++;
    this.speedSum += sample.bladeSpeed ?? 0;
    this.feedSum += sample.downFeed ?? 0;
    this.forceSum += sample.feedForce ?? 0;
    this.maxDev = Math.max(this.maxDev, Math.abs(sample.bladeDeviation ?? 0));
  }

  get maxDeviationMm(): number {
    return this.maxDev;
  }

  finish(end: number, completed: boolean, areaCm2: number): Body<Cut> {
    const cuttingMin = (this.cuttingSamples * this.intervalMs) / 60_000;
    const n = Math.max(1, this.cuttingSamples);
    const r = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;
    const energy = r(this.energyKwMs / KWMS_PER_KWH, 6);
    return {
      ts: end,
      cutId: this.cutId,
      start: this.start,
      end,
      completed,
      material: { grade: this.grade, class: this.classId.slice(0, 32) },
      section: this.section,
      areaCm2: r(areaCm2, 2),
      cuttingRateCm2Min: cuttingMin > 0 ? r(areaCm2 / cuttingMin, 2) : 0,
      energyKWh: energy,
      cuttingEnergyKWh: Math.min(energy, r(this.cuttingKwMs / KWMS_PER_KWH, 6)),
      peakCurrentA: r(this.peakCurrent, 2),
      meanCurrentA: r(this.currentSum / Math.max(1, this.samples), 2),
      maxDeviationMm: r(this.maxDev, 3),
      meanBladeSpeed: r(this.speedSum / n, 2),
      meanDownFeed: r(this.feedSum / n, 2),
      meanFeedForce: r(this.forceSum / n, 1),
      bladeId: this.bladeId,
    };
  }
}
