import type { Cut } from '../../contracts/index.js';
import { median } from '../baselines/robust.js';
import type { MachineCtx } from '../machine.js';
import { cutKey, sectionSizeMm, stepKey } from './keys.js';
import { countSpikes, spikes } from './spikes.js';

const J_PER_KWH = 3.6e6;
/** weight (in samples) of the learned idle power against the approach samples of one cut */
const IDLE_PRIOR_WEIGHT = 10;
/** an approach this many σ (of the learned idle) off the learned idle power is believed on its own */
const IDLE_JUMP_Z = 6;

/** One cut as a feature vector: the cut record's figures joined with the telemetry of its window. */
export interface CutFeatures {
  cut: Cut;
  key: string;
  /** material × exact section */
  stepKey: string;
  /**
   * specific cutting energy ∫(P − P_idle) dt / A, J/cm² (DOMAIN §4, §5), with P_idle the idle
   * power measured in this cut's approach (else learned, else the controller's cutting share)
   */
  eA: number;
  /** the controller's own figure: cuttingEnergyKWh · 3.6e6 / areaCm2 */
  eAController: number;
  /**
   * e_A without the energy of single-sample power spikes, J/cm²: the level of the cutting energy
   * that blade wear raises (DOMAIN §4: "treat steps and spikes as chipping, not wear"); the spikes
   * of a cracking or chipped blade do not read as wear. The blade-wear trend and steps use it.
   */
  eAWear: number;
  rate: number;
  peakCurrentA: number;
  meanCurrentA: number;
  maxDeviationMm: number;
  /** deviation per 100 mm of section size (DOMAIN §1 tolerance ~0.3 mm / 100 mm) */
  deviationPer100: number;
  sizeMm: number;
  /** samples of the window seen in the telemetry, and of those, cutting */
  samples: number;
  cuttingSamples: number;
  /** drive power with the blade running in the air during this cut's approach, kW */
  idlePowerKw: number;
  /** same, from the samples before the blade entered the work only (P_idle for e_A), kW */
  approachIdleKw: number;
  /**
   * standard error of the P_idle e_A was computed with, kW: one approach's idle power strays from
   * cut to cut (0 when e_A is the controller's figure or rests on the learned idle power alone;
   * infinite while the machine's idle power is not learned yet)
   */
  eAIdleSeKw: number;
  /** J/cm² of e_A per kW of P_idle error: 1000 × cut duration (s) / area (cm²) */
  eAIdleSens: number;
  /** blade speed sag under load: 1 − v(cutting) / v(approach) */
  speedSag: number;
  /** median cutting power / rated input power of the model (NaN when unknown) */
  load: number;
  /** median blade temperature over coolant temperature while cutting, °C */
  bladeTempRise: number;
  /** single-sample excursions of the cutting power above the local level */
  powerSpikes: number;
  /** single-sample excursions of the vibration above the local level */
  vibrationBursts: number;
}

export function cutFeatures(
  c: Cut,
  m: MachineCtx,
  learnedIdleKw: number | undefined,
  spikeRel = 0.05,
  burstRel = 0.3,
): CutFeatures {
  const idx = m.ring.window(c.start, c.end);
  const ring = m.ring;
  const cutPower: number[] = [];
  const cutVib: number[] = [];
  const cutSpeed: number[] = [];
  const runPower: number[] = [];
  const runSpeed: number[] = [];
  /** running samples before the first cutting one: the blade in the air, not leaving the work */
  const approachPower: number[] = [];
  const rise: number[] = [];
  for (const i of idx) {
    if (ring.isCutting(i)) {
      cutPower.push(ring.power[i]!);
      if (Number.isFinite(ring.bladeRise[i]!)) rise.push(ring.bladeRise[i]!);
      cutVib.push(ring.vibration[i]!);
      cutSpeed.push(ring.speed[i]!);
    } else if (ring.isRunning(i)) {
      runPower.push(ring.power[i]!);
      runSpeed.push(ring.speed[i]!);
      if (cutPower.length === 0) approachPower.push(ring.power[i]!);
    }
  }
  const approachIdle = approachPower.length ? median(approachPower) : Number.NaN;
  const measuredIdle = runPower.length ? median(runPower) : Number.NaN;
  const idle = Number.isFinite(measuredIdle)
    ? measuredIdle
    : (learnedIdleKw ?? m.model?.idlePowerKw ?? Number.NaN);
  const vApproach = runSpeed.length ? median(runSpeed) : Number.NaN;
  const vCut = cutSpeed.length ? median(cutSpeed) : Number.NaN;
  const model = m.model;
  const ratedInputKw = model ? model.motorKw / model.motorEfficiency : Number.NaN;
  const base = Number.isFinite(idle) ? idle : 0;
  const size = sectionSizeMm(c.section);
  const eAController = c.areaCm2 > 0 ? (c.cuttingEnergyKWh * J_PER_KWH) / c.areaCm2 : Number.NaN;
  // the approach has only a few samples: shrink its idle power towards the machine's learned one
  // (approach only: the samples of the blade leaving the work still carry some cutting power)
  // — unless it is far off: the idle power itself jumped (a wheel bearing's friction came or went)
  const n = approachPower.length;
  const jumped =
    learnedIdleKw !== undefined &&
    n > 0 &&
    m.idle.ready &&
    Math.abs(approachIdle - learnedIdleKw) > IDLE_JUMP_Z * m.idle.scale;
  const idleForEnergy =
    learnedIdleKw === undefined || jumped
      ? n
        ? approachIdle
        : learnedIdleKw
      : n
        ? (n * approachIdle + IDLE_PRIOR_WEIGHT * learnedIdleKw) / (n + IDLE_PRIOR_WEIGHT)
        : learnedIdleKw;
  // its standard error: how far one approach's median strays from cut to cut (the spread the
  // machine's learned idle power has), times the approach's weight in the estimate; unknown (no
  // step can be judged on it) until that spread is learned
  const approachSe = m.idle.ready ? m.idle.scale : Number.POSITIVE_INFINITY;
  const approachWeight =
    n === 0 ? 0 : learnedIdleKw === undefined || jumped ? 1 : n / (n + IDLE_PRIOR_WEIGHT);
  const idleSe = approachWeight > 0 ? approachWeight * approachSe : 0;
  const durationS = (c.end - c.start) / 1000;
  const cutAbovePower = cutPower.map((p) => p - base);
  const powerSpikes = spikes(cutAbovePower, spikeRel, 6, 0.005);
  const measured =
    idleForEnergy !== undefined && c.areaCm2 > 0
      ? (c.energyKWh * J_PER_KWH - idleForEnergy * 1000 * durationS) / c.areaCm2
      : Number.NaN;
  const eA = measured > 0 ? measured : eAController;
  // spike energy: kW above the local level × the sample interval, in J/cm² of this cut
  const spikeEA = c.areaCm2 > 0 ? (powerSpikes.excess * 1000 * (m.sampleIntervalMs / 1000)) / c.areaCm2 : 0;
  return {
    cut: c,
    key: cutKey(c),
    stepKey: stepKey(c),
    eA,
    eAController,
    eAWear: eA - spikeEA > 0.5 * eA ? eA - spikeEA : eA,
    rate: c.cuttingRateCm2Min,
    peakCurrentA: c.peakCurrentA,
    meanCurrentA: c.meanCurrentA,
    maxDeviationMm: c.maxDeviationMm,
    deviationPer100: size > 0 ? (100 * c.maxDeviationMm) / size : Number.NaN,
    sizeMm: size,
    samples: idx.length,
    cuttingSamples: cutPower.length,
    idlePowerKw: runPower.length ? idle : Number.NaN,
    approachIdleKw: approachIdle,
    eAIdleSeKw: measured > 0 ? idleSe : 0,
    eAIdleSens: c.areaCm2 > 0 ? (1000 * durationS) / c.areaCm2 : 0,
    speedSag: Number.isFinite(vApproach) && vApproach > 0 ? 1 - vCut / vApproach : Number.NaN,
    load: cutPower.length ? median(cutPower) / ratedInputKw : Number.NaN,
    bladeTempRise: rise.length ? median(rise) : Number.NaN,
    powerSpikes: powerSpikes.count,
    vibrationBursts: countSpikes(cutVib, burstRel, 6, 0.2),
  };
}
