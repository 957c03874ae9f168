import type { Cut } from '../../contracts/index.js';
import { median } from '../baselines/robust.js';
import type { MachineCtx } from '../machine.js';
import { cutKey, sectionSizeMm, stepKey } from './keys.js';
import { countSpikes } from './spikes.js';

const J_PER_KWH = 3.6e6;
/** weight (in samples) of the learned idle power against the approach samples of one cut */
const IDLE_PRIOR_WEIGHT = 10;

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
    }
  }
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
  const n = runPower.length;
  const idleForEnergy =
    learnedIdleKw === undefined
      ? n
        ? measuredIdle
        : undefined
      : n
        ? (n * measuredIdle + IDLE_PRIOR_WEIGHT * learnedIdleKw) / (n + IDLE_PRIOR_WEIGHT)
        : learnedIdleKw;
  const durationS = (c.end - c.start) / 1000;
  const measured =
    idleForEnergy !== undefined && c.areaCm2 > 0
      ? (c.energyKWh * J_PER_KWH - idleForEnergy * 1000 * durationS) / c.areaCm2
      : Number.NaN;
  return {
    cut: c,
    key: cutKey(c),
    stepKey: stepKey(c),
    eA: measured > 0 ? measured : eAController,
    eAController,
    rate: c.cuttingRateCm2Min,
    peakCurrentA: c.peakCurrentA,
    meanCurrentA: c.meanCurrentA,
    maxDeviationMm: c.maxDeviationMm,
    deviationPer100: size > 0 ? (100 * c.maxDeviationMm) / size : Number.NaN,
    sizeMm: size,
    samples: idx.length,
    cuttingSamples: cutPower.length,
    idlePowerKw: runPower.length ? idle : Number.NaN,
    speedSag: Number.isFinite(vApproach) && vApproach > 0 ? 1 - vCut / vApproach : Number.NaN,
    load: cutPower.length ? median(cutPower) / ratedInputKw : Number.NaN,
    bladeTempRise: rise.length ? median(rise) : Number.NaN,
    powerSpikes: countSpikes(
      cutPower.map((p) => p - base),
      spikeRel,
      6,
      0.005,
    ),
    vibrationBursts: countSpikes(cutVib, burstRel, 6, 0.2),
  };
}
