import {
  BLADE_BOUND,
  type Effects,
  type FaultKind,
  type FaultLabel,
  type FaultSpec,
  NEEDS_CUT,
  RAMP_MS,
} from './faults.js';
import type { Rng } from './rng.js';

export interface FaultContext {
  t: number;
  cutting: boolean;
  /** extra drive power (kW) that would take the motor current to its trip level now */
  overloadKw: number;
}

export interface FaultUpdate {
  /** the fault became active at this tick (its label exists from now on) */
  activated: boolean;
  /** blade-breakage: the blade breaks now */
  breakNow: boolean;
  /** one-off jump in consumed blade life (tooth chipping) */
  wearStep: number;
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

/** One fault on one machine: activation, its gradual signature, its label. */
export class FaultInstance {
  readonly kind: FaultKind;
  readonly severity: number;
  readonly rampMs: number;
  private readonly curve: number;
  private readonly p: Record<string, number>;
  private readonly eventAt: number | undefined;
  private startedAt: number | undefined;
  private broke = false;
  state: 'pending' | 'active' | 'ended' = 'pending';
  label: FaultLabel | undefined;

  constructor(
    readonly spec: FaultSpec,
    rng: Rng,
  ) {
    this.kind = spec.fault;
    this.severity = clamp01(spec.severity ?? Math.round(rng.uniform(0.4, 1) * 100) / 100);
    const [lo, hi] = RAMP_MS[spec.fault];
    this.rampMs = Math.max(0, spec.rampMs ?? rng.uniform(lo, hi));
    this.curve = rng.uniform(0.7, 2);
    const s = this.severity;
    // Per-instance magnitudes: the same kind never has exactly the same shape twice.
    this.p = {
      wearMul: rng.uniform(2, 3) + 2 * s,
      energyStep: (0.08 + 0.15 * s) * rng.uniform(0.8, 1.2),
      wearStep: rng.uniform(0.04, 0.1) * (0.5 + s),
      spike: rng.uniform(0.3, 0.7) * (0.5 + s),
      dev: (0.8 + 2.2 * s) * rng.uniform(0.8, 1.2) * (rng.chance(0.5) ? 1 : -1),
      tension: (0.25 + 0.25 * s) * rng.uniform(0.8, 1.2),
      vib: (1.5 + 3 * s) * rng.uniform(0.8, 1.2),
      gear: (8 + 20 * s) * rng.uniform(0.8, 1.2),
      hyd: (0.2 + 0.4 * s) * rng.uniform(0.8, 1.2),
      flowMode: rng.chance(0.6) ? 1 : 0,
      coolant: (0.5 + 0.4 * s) * rng.uniform(0.9, 1.05),
      heat: (1.5 + 3 * s) * rng.uniform(0.8, 1.2),
      brush: (0.5 + 1.5 * s) * rng.uniform(0.8, 1.2),
      overload: 1.1 + 0.3 * s,
    };
    this.eventAt = spec.fault === 'blade-breakage' ? (spec.eventTs ?? spec.onsetTs + this.rampMs) : undefined;
  }

  /** 0..1 progress of the onset, shaped by this instance's curve. */
  ramp(t: number): number {
    if (this.startedAt === undefined) return 0;
    if (this.rampMs === 0) return 1;
    return clamp01((t - this.startedAt) / this.rampMs) ** this.curve;
  }

  update(ctx: FaultContext): FaultUpdate {
    const out: FaultUpdate = { activated: false, breakNow: false, wearStep: 0 };
    if (this.state === 'ended') return out;
    if (this.state === 'pending') {
      if (ctx.t < this.spec.onsetTs || (NEEDS_CUT.has(this.kind) && !ctx.cutting)) return out;
      this.state = 'active';
      this.startedAt = ctx.t;
      this.label = {
        machineId: this.spec.machineId,
        fault: this.kind,
        onsetTs: ctx.t,
        severity: this.severity,
      };
      out.activated = true;
      if (this.kind === 'tooth-chipping') {
        this.label.eventTs = ctx.t;
        out.wearStep = this.p.wearStep!;
      }
    }
    if (this.spec.durationMs !== undefined && ctx.t >= this.spec.onsetTs + this.spec.durationMs) {
      this.end(ctx.t);
      return out;
    }
    if (this.eventAt !== undefined && !this.broke && ctx.cutting && ctx.t >= this.eventAt) {
      this.broke = true;
      out.breakNow = true;
      if (this.label) this.label.eventTs = ctx.t;
    }
    return out;
  }

  /** Records the abrupt event (e.g. overload trip) on the label. */
  markEvent(ts: number): void {
    if (this.label && this.label.eventTs === undefined) this.label.eventTs = ts;
  }

  end(ts: number): void {
    if (this.state === 'ended') return;
    if (this.state === 'active' && this.label) this.label.endTs = ts;
    this.state = 'ended';
  }

  /** Ends the fault if a blade change removes it. */
  onBladeRemoved(ts: number): void {
    if (BLADE_BOUND.has(this.kind) && this.state === 'active') this.end(ts);
  }

  get active(): boolean {
    return this.state === 'active';
  }

  /** Adds this fault's signature to `e`. */
  apply(e: Effects, ctx: FaultContext): void {
    if (this.state !== 'active') return;
    const r = this.ramp(ctx.t);
    const s = this.severity;
    const p = this.p;
    switch (this.kind) {
      case 'blade-wear':
        e.wearRateMul *= 1 + r * (p.wearMul! - 1);
        e.energyMul *= 1 + 0.08 * r;
        e.vibrationAdd += 0.15 * r;
        break;
      case 'tooth-chipping':
        e.energyMul *= 1 + p.energyStep!;
        e.forceMul *= 1 + p.energyStep!;
        e.spikeProb += 0.04 + 0.2 * r * s;
        e.spikeAmp = Math.max(e.spikeAmp, p.spike!);
        e.vibrationAdd += 0.15 + 0.3 * r * s;
        break;
      case 'blade-breakage':
        // back crack / bad weld: a force discontinuity once per blade revolution, growing
        e.spikeProb += 0.15 + 0.5 * r;
        e.spikeAmp = Math.max(e.spikeAmp, (0.1 + 0.6 * r) * (0.5 + s));
        e.vibrationAdd += 0.1 + 0.3 * r;
        break;
      case 'crooked-cut':
        e.deviationAdd += r * p.dev!;
        e.forceMul *= 1 + 0.1 * r;
        e.vibrationAdd += 0.1 * r;
        break;
      case 'tension-loss':
        e.tensionMul *= 1 - r * p.tension!;
        e.slip += r * (0.01 + 0.03 * s);
        e.speedNoise += r * 0.01 * s;
        e.deviationAdd += r * (0.3 + 1.0 * s) * Math.sign(p.dev!);
        break;
      case 'wheel-bearing-wear':
        e.vibrationAdd += r * p.vib!;
        e.vibBurstProb += r * 0.1;
        e.vibBurstAmp = Math.max(e.vibBurstAmp, r * p.vib! * 0.5);
        e.gearboxTempAdd += r * p.gear!;
        e.idlePowerAdd += r * (0.05 + 0.15 * s);
        e.deviationAdd += r * 0.3 * s;
        e.wearRateMul *= 1 + 0.3 * r;
        break;
      case 'hydraulic-leak':
        e.hydraulicMul *= 1 - r * p.hyd!;
        e.hydraulicNoise += r * 0.1 * s;
        e.feedMul *= 1 - r * 0.3 * s;
        e.feedNoise += r * 0.2 * s;
        e.oilTempAdd += r * 5;
        break;
      case 'coolant-failure':
        if (p.flowMode === 1) {
          e.coolantFlowMul *= 1 - r * p.coolant!;
          e.bladeHeatMul *= 1 + r * p.heat!;
          e.wearRateMul *= 1 + r * (1 + 2 * s);
        } else {
          e.coolantConcMul *= 1 - r * p.coolant!;
          e.bladeHeatMul *= 1 + r * p.heat! * 0.4;
          e.wearRateMul *= 1 + r * (0.5 + s);
        }
        break;
      case 'chip-brush-failure':
        e.vibBurstProb += r * (0.1 + 0.3 * s);
        e.vibBurstAmp = Math.max(e.vibBurstAmp, r * p.brush!);
        e.spikeProb += r * 0.1 * s;
        e.spikeAmp = Math.max(e.spikeAmp, 0.2 + 0.3 * s);
        e.deviationAdd += r * (0.3 + 0.7 * s);
        e.wearRateMul *= 1 + 0.3 * r * s;
        break;
      case 'motor-overload':
        if (ctx.cutting) e.extraLoadKw += r * Math.max(0, ctx.overloadKw) * p.overload!;
        e.forceMul *= 1 + 1.2 * r;
        e.feedMul *= 1 + 0.4 * r;
        e.slip += 0.03 * r;
        break;
    }
  }
}
