import type { Sample } from '../contracts/messages.js';
import type { TelemetryVariable } from '../contracts/variables.js';
import type { Region, SawModel } from '../seeds/index.js';
import type { Rng } from './rng.js';

/**
 * Physical constants of the simulator and the per-machine traits drawn once per machine.
 * The numbers here are the simulator's modelling decisions; see the README table in seeds/.
 */

/** Band-saw chips are thinner than turning chips: specific energy × this over the turning figures (DOMAIN §5: "at least these"). */
export const SIZE_EFFECT = 1.5;
/** Feed (thrust) force / cutting force for a sharp blade; thin chips push back hard. */
export const THRUST_RATIO = 1.8;
/** Mechanical power at the blade → extra electrical power of the drive. */
export const DRIVE_EFFICIENCY = 0.85;
/** Overload trip: current above this × rated for 3 samples. */
export const TRIP_CURRENT_RATIO = 1.1;
/** Wear index W(u) of consumed life u: fast break-in wear, steady wear, accelerating at the end. */
export function wearIndex(u: number): number {
  const x = Math.max(0, u);
  return 0.06 * (1 - Math.exp(-x / 0.02)) + 0.74 * x + 0.2 * x ** 6;
}

export interface Traits {
  idleKw: number;
  ratedInputKw: number;
  magnetizingA: number;
  voltageV: number;
  tensionNominal: number;
  coolantFlow: number;
  coolantConc: number;
  vibBase: number;
  hydStandby: number;
  energyFactor: number;
  devBase: number;
  approachMmMin: number;
  retractMmMin: number;
  ambientMid: number;
  ambientAmp: number;
  utcOffsetMinutes: number;
}

export function drawTraits(model: SawModel, region: Region, rng: Rng): Traits {
  const ratedInputKw = model.motorKw / model.motorEfficiency;
  const activeA = (ratedInputKw * 1000) / (Math.sqrt(3) * model.voltageV);
  const [tLo, tHi] = model.tensionRange;
  const [hLo] = model.hydraulicRange;
  return {
    idleKw: model.idlePowerKw * rng.normal(1, 0.04),
    ratedInputKw,
    magnetizingA: Math.sqrt(Math.max(0, model.ratedCurrentA ** 2 - activeA ** 2)),
    voltageV: model.voltageV,
    tensionNominal: rng.uniform(tLo + 0.3 * (tHi - tLo), tLo + 0.7 * (tHi - tLo)),
    coolantFlow: model.coolantFlowLMin * rng.uniform(0.85, 1.1),
    coolantConc: rng.uniform(12, 18),
    vibBase: rng.uniform(0.3, 0.45),
    hydStandby: hLo * rng.uniform(1.05, 1.15),
    energyFactor: rng.normal(1, 0.03),
    devBase: rng.uniform(0.03, 0.06),
    approachMmMin: rng.uniform(400, 900),
    retractMmMin: rng.uniform(1200, 2000),
    ambientMid: (region.ambientC[0] + region.ambientC[1]) / 2,
    ambientAmp: (region.ambientC[1] - region.ambientC[0]) / 2,
    utcOffsetMinutes: region.utcOffsetMinutes,
  };
}

/** Shop-floor temperature: coldest mid-January, ±2 °C over the day (warmest 15:00 local). */
export function ambientC(traits: Traits, ts: number): number {
  const local = ts + traits.utcOffsetMinutes * 60_000;
  const day = local / 86_400_000;
  const season = -Math.cos((2 * Math.PI * (day - 15)) / 365.25);
  const hour = (((local % 86_400_000) + 86_400_000) % 86_400_000) / 3_600_000;
  const daily = Math.cos((2 * Math.PI * (hour - 15)) / 24);
  return traits.ambientMid + traits.ambientAmp * season + 2 * daily;
}

/** Line current of the main drive from its active power: active and magnetising parts. */
export function currentA(traits: Traits, powerKw: number, running: boolean): number {
  if (!running) return 0;
  const active = (powerKw * 1000) / (Math.sqrt(3) * traits.voltageV);
  return Math.sqrt(active * active + traits.magnetizingA * traits.magnetizingA);
}

/** Active power (kW) at which the line current reaches `amps`. */
export function powerForCurrentKw(traits: Traits, amps: number): number {
  const active = Math.sqrt(Math.max(0, amps * amps - traits.magnetizingA * traits.magnetizingA));
  return (active * Math.sqrt(3) * traits.voltageV) / 1000;
}

/** First-order lag of `value` towards `target` over `dtMs` with time constant `tauMs`. */
export function lag(value: number, target: number, dtMs: number, tauMs: number): number {
  return target + (value - target) * Math.exp(-dtMs / tauMs);
}

/** Decimals each variable is published with. */
export const DECIMALS: Record<TelemetryVariable, number> = {
  bladeSpeed: 1,
  downFeed: 1,
  feedForce: 0,
  motorCurrent: 2,
  power: 3,
  hydraulicPressure: 2,
  bladeTension: 1,
  bladeDeviation: 3,
  vibration: 3,
  motorTemp: 1,
  hydraulicOilTemp: 1,
  coolantTemp: 1,
  bladeTemp: 1,
  gearboxTemp: 1,
  coolantFlow: 1,
  coolantConcentration: 1,
  headPosition: 1,
};

function round(x: number, d: number): number {
  const f = 10 ** d;
  const r = Math.round(x * f) / f;
  return r === 0 ? 0 : r; // no -0 in JSON
}

/** The published sample: every variable rounded to its decimals (a fixed-shape literal: fast, compact). */
export function toSample(ts: number, v: Record<TelemetryVariable, number>): Sample {
  const d = DECIMALS;
  return {
    ts,
    bladeSpeed: round(v.bladeSpeed, d.bladeSpeed),
    downFeed: round(v.downFeed, d.downFeed),
    feedForce: round(v.feedForce, d.feedForce),
    motorCurrent: round(v.motorCurrent, d.motorCurrent),
    power: round(v.power, d.power),
    hydraulicPressure: round(v.hydraulicPressure, d.hydraulicPressure),
    bladeTension: round(v.bladeTension, d.bladeTension),
    bladeDeviation: round(v.bladeDeviation, d.bladeDeviation),
    vibration: round(v.vibration, d.vibration),
    motorTemp: round(v.motorTemp, d.motorTemp),
    hydraulicOilTemp: round(v.hydraulicOilTemp, d.hydraulicOilTemp),
    coolantTemp: round(v.coolantTemp, d.coolantTemp),
    bladeTemp: round(v.bladeTemp, d.bladeTemp),
    gearboxTemp: round(v.gearboxTemp, d.gearboxTemp),
    coolantFlow: round(v.coolantFlow, d.coolantFlow),
    coolantConcentration: round(v.coolantConcentration, d.coolantConcentration),
    headPosition: round(v.headPosition, d.headPosition),
  };
}
