import type { Rng } from './rng.js';

/**
 * Injectable faults: every failure mode of DOMAIN §2. A fault plan lists what happens to which
 * machine and when; each fault, once it starts, shapes the signals through `Effects` (gradual
 * onsets with a random magnitude, ramp and curve per instance) and leaves a ground-truth label.
 * Labels are kept apart from everything the device publishes.
 */
export const FAULT_KINDS = [
  'blade-wear',
  'tooth-chipping',
  'blade-breakage',
  'crooked-cut',
  'tension-loss',
  'wheel-bearing-wear',
  'hydraulic-leak',
  'coolant-failure',
  'chip-brush-failure',
  'motor-overload',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultSpec {
  machineId: string;
  fault: FaultKind;
  /** planned onset, epoch ms (faults that need a running cut start at the next cut after it) */
  onsetTs: number;
  /** 0..1; drawn in [0.4, 1] when omitted */
  severity?: number;
  /** onset ramp; drawn per kind when omitted */
  rampMs?: number;
  /** blade-breakage: when the cracked blade breaks (default onset + 15..90 min of ramp) */
  eventTs?: number;
  /** persistent faults: repaired after this long (open-ended when omitted) */
  durationMs?: number;
}

/** Ground truth for evaluation; never published with the telemetry. */
export interface FaultLabel {
  machineId: string;
  fault: FaultKind;
  onsetTs: number;
  /** the abrupt event if any: chip, break, overload trip */
  eventTs?: number;
  /** when the fault was removed: blade changed, repaired, reset */
  endTs?: number;
  severity: number;
}

/** Multipliers and offsets the active faults apply to the healthy signals. */
export interface Effects {
  wearRateMul: number;
  energyMul: number;
  forceMul: number;
  feedMul: number;
  feedNoise: number;
  spikeProb: number;
  spikeAmp: number;
  vibrationAdd: number;
  vibBurstProb: number;
  vibBurstAmp: number;
  deviationAdd: number;
  tensionMul: number;
  slip: number;
  speedNoise: number;
  hydraulicMul: number;
  hydraulicNoise: number;
  coolantFlowMul: number;
  coolantConcMul: number;
  bladeHeatMul: number;
  gearboxTempAdd: number;
  oilTempAdd: number;
  idlePowerAdd: number;
  extraLoadKw: number;
}

export function neutralEffects(): Effects {
  return {
    wearRateMul: 1,
    energyMul: 1,
    forceMul: 1,
    feedMul: 1,
    feedNoise: 0,
    spikeProb: 0,
    spikeAmp: 0,
    vibrationAdd: 0,
    vibBurstProb: 0,
    vibBurstAmp: 0,
    deviationAdd: 0,
    tensionMul: 1,
    slip: 0,
    speedNoise: 0,
    hydraulicMul: 1,
    hydraulicNoise: 0,
    coolantFlowMul: 1,
    coolantConcMul: 1,
    bladeHeatMul: 1,
    gearboxTempAdd: 0,
    oilTempAdd: 0,
    idlePowerAdd: 0,
    extraLoadKw: 0,
  };
}

/** Faults that go away with the blade (a new, re-tensioned loop removes them). */
export const BLADE_BOUND: ReadonlySet<FaultKind> = new Set([
  'blade-wear',
  'tooth-chipping',
  'blade-breakage',
  'crooked-cut',
  'tension-loss',
]);
/** Faults that only start while the blade is in the cut. */
export const NEEDS_CUT: ReadonlySet<FaultKind> = new Set(['tooth-chipping', 'motor-overload']);

const MIN = 60_000;
const HOUR = 60 * MIN;
/** Default onset ramp range per kind, ms. */
export const RAMP_MS: Record<FaultKind, [number, number]> = {
  'blade-wear': [1 * HOUR, 4 * HOUR],
  'tooth-chipping': [10 * MIN, 40 * MIN],
  'blade-breakage': [15 * MIN, 90 * MIN],
  'crooked-cut': [30 * MIN, 3 * HOUR],
  'tension-loss': [1 * HOUR, 6 * HOUR],
  'wheel-bearing-wear': [4 * HOUR, 24 * HOUR],
  'hydraulic-leak': [1 * HOUR, 8 * HOUR],
  'coolant-failure': [5 * MIN, 2 * HOUR],
  'chip-brush-failure': [10 * MIN, 1 * HOUR],
  'motor-overload': [1 * MIN, 5 * MIN],
};

export interface RandomPlanOptions {
  machineIds: readonly string[];
  fromMs: number;
  toMs: number;
  rng: Rng;
  /** expected faults per machine per day (default 0.2) */
  perMachinePerDay?: number;
  kinds?: readonly FaultKind[];
  /** share of machines that stay healthy whatever the rate (default 0.5) */
  healthyShare?: number;
}

/** A random plan: Poisson arrivals per machine, kinds, severities and ramps drawn from `rng`. */
export function randomFaultPlan(o: RandomPlanOptions): FaultSpec[] {
  const kinds = o.kinds ?? FAULT_KINDS;
  const rate = (o.perMachinePerDay ?? 0.2) / (24 * HOUR);
  const plan: FaultSpec[] = [];
  for (const machineId of o.machineIds) {
    const rng = o.rng.fork(`plan:${machineId}`);
    if (rng.chance(o.healthyShare ?? 0.5)) continue;
    let t = o.fromMs;
    for (;;) {
      t += -Math.log(1 - rng.next()) / rate;
      if (t >= o.toMs) break;
      const fault = rng.pick(kinds);
      const [lo, hi] = RAMP_MS[fault];
      const spec: FaultSpec = {
        machineId,
        fault,
        onsetTs: Math.round(t),
        severity: Math.round(rng.uniform(0.4, 1) * 100) / 100,
        rampMs: Math.round(rng.uniform(lo, hi)),
      };
      if (!BLADE_BOUND.has(fault) && fault !== 'motor-overload') {
        spec.durationMs = Math.round(spec.rampMs! + rng.uniform(2, 24) * HOUR);
      }
      plan.push(spec);
    }
  }
  return plan.sort((a, b) => a.onsetTs - b.onsetTs);
}
