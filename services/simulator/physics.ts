import type { Section } from '../contracts/messages.js';
import type { TelemetryVariable } from '../contracts/variables.js';
import type { SawModel } from '../seeds/index.js';
import type { Effects } from './faults.js';
import { areaBelowMm2, descend } from './geometry.js';
import type { Rng } from './rng.js';
import { ambientC, currentA, DRIVE_EFFICIENCY, lag, THRUST_RATIO, type Traits } from './signals.js';

/** What the machine is physically doing during one sample interval. */
export type Mode = 'off' | 'stopped' | 'clamp' | 'approach' | 'cutting' | 'retract' | 'blade-out';

/** Everything the cutting physics needs about the current cut. */
export interface CutSetup {
  section: Section;
  /** top of the section, mm */
  topY: number;
  speedMMin: number;
  /** target removal rate after break-in, pitch, trims and faults, cm²/min */
  rateCm2Min: number;
  /** specific energy of a sharp blade in this material on this machine, J/mm³ */
  energyJmm3: number;
  kerfMm: number;
  /** wear index 0..~1 */
  wear: number;
  cutSign: number;
  devLimit: number;
  sizeMm: number;
}

export interface TickResult {
  values: Record<TelemetryVariable, number>;
  /** area removed during this interval, mm² */
  removedMm2: number;
  /** the blade reached the bed */
  done: boolean;
  /** drive power without fault extra load, kW (for the overload context) */
  baselineKw: number;
}

const MIN_MS = 60_000;

/** Head position, thermal states and slow drifts of one saw; `tick` integrates one interval. */
export class SawPhysics {
  y: number;
  restY: number;
  private motorT: number;
  private gearT: number;
  private oilT: number;
  private coolT: number;
  private bladeT: number;
  private concDrift = 0;
  private prevDev = 0;

  constructor(
    private readonly model: SawModel,
    private readonly traits: Traits,
    private readonly rng: Rng,
    startMs: number,
  ) {
    const amb = ambientC(traits, startMs);
    this.motorT = amb + 5;
    this.gearT = amb + 4;
    this.oilT = amb + 8;
    this.coolT = amb + 1;
    this.bladeT = amb + 1;
    this.restY = 100;
    this.y = this.restY;
  }

  tick(ts: number, dtMs: number, mode: Mode, E: Effects, cut: CutSetup | undefined): TickResult {
    const { model, traits, rng } = this;
    const running = mode === 'approach' || mode === 'cutting';
    const pumpOn = mode !== 'off';
    const dtS = dtMs / 1000;
    let removedMm2 = 0;
    let downFeed = 0;
    let force = 0;
    let pcW = 0;
    let dev = rng.normal(0, 0.005);
    const v0 = cut?.speedMMin ?? 0;

    if (mode === 'approach' && cut) {
      const yNew = Math.max(cut.topY, this.y - (traits.approachMmMin * dtMs) / MIN_MS);
      downFeed = ((this.y - yNew) / dtMs) * MIN_MS;
      this.y = yNew;
    } else if (mode === 'cutting' && cut) {
      const rate = ((cut.rateCm2Min * 100) / 60) * Math.max(0.05, 1 + rng.normal(0, E.feedNoise));
      const e = cut.energyJmm3 * (1 + 0.5 * cut.wear) * E.energyMul;
      const forcePerRate = ((e * cut.kerfMm) / (v0 / 60)) * THRUST_RATIO * (1 + 0.6 * cut.wear) * E.forceMul;
      const fLimit = 0.9 * model.maxFeedForceN;
      // The controller's deviation loop cuts feed when the blade runs out (DOMAIN §2).
      const devCtl = Math.abs(this.prevDev) > 0.8 * cut.devLimit ? 0.7 : 1;
      const target = Math.min(rate * devCtl, fLimit / forcePerRate);
      const maxDrop = (model.maxDownFeedMmMin * dtMs) / MIN_MS;
      const yNew = descend(cut.section, this.y, target * dtS, maxDrop);
      removedMm2 = areaBelowMm2(cut.section, this.y) - areaBelowMm2(cut.section, yNew);
      downFeed = ((this.y - yNew) / dtMs) * MIN_MS;
      const progress = 1 - (yNew + this.y) / 2 / cut.topY;
      this.y = yNew < 1e-6 ? 0 : yNew;
      const spike = rng.chance(E.spikeProb) ? 1 + rng.uniform(0.5, 1) * E.spikeAmp : 1;
      pcW = e * cut.kerfMm * (removedMm2 / dtS) * spike;
      const bow = (traits.devBase + 0.2 * cut.wear * cut.wear) * (cut.sizeMm / 100);
      dev =
        cut.cutSign * bow * Math.sin(Math.PI * progress) +
        E.deviationAdd * progress +
        rng.normal(0, 0.015 + 0.02 * cut.wear);
      this.prevDev = dev;
      force = pcW; // converted to N below, once the blade speed is known
    } else if (mode === 'retract') {
      this.y = Math.min(this.restY, this.y + (traits.retractMmMin * dtMs) / MIN_MS);
    }
    if (mode !== 'cutting') this.prevDev = 0;

    // Drive: idle + cutting power through the drive + fault extra load; speed sags with load.
    const idleKw = traits.idleKw + E.idlePowerAdd;
    const baselineKw = running ? idleKw + pcW / 1000 / DRIVE_EFFICIENCY : 0;
    let power = running ? baselineKw + E.extraLoadKw : 0;
    if (running) power *= 1 + rng.normal(0, 0.012);
    const load = power / traits.ratedInputKw;
    const v = running
      ? v0 * (1 - 0.02 * load - E.slip * Math.min(1, load * 3)) * (1 + rng.normal(0, 0.002 + E.speedNoise))
      : 0;
    if (mode === 'cutting' && v > 0) {
      const wearForce = 1 + 0.6 * (cut?.wear ?? 0);
      const fromExtra = (E.extraLoadKw * 1000 * DRIVE_EFFICIENCY) / (v / 60);
      force = ((force / (v / 60)) * THRUST_RATIO * wearForce + fromExtra * 0.5) * E.forceMul;
      // the feed circuit's relief valve caps what the blade can be pushed with
      force = Math.min(model.maxFeedForceN * 1.05, force * (1 + rng.normal(0, 0.02)));
    } else force = Math.abs(rng.normal(0, 3));

    // Hydraulics: standby, clamping, feed cylinder pressure rising with feed force.
    const [, hHi] = model.hydraulicRange;
    const standby = traits.hydStandby;
    let hyd = 0;
    if (pumpOn) {
      if (mode === 'clamp') hyd = hHi * 0.7;
      else if (mode === 'cutting')
        hyd = standby + (hHi - standby) * 0.8 * Math.min(1, force / model.maxFeedForceN);
      else if (running || mode === 'retract') hyd = standby * 1.1;
      else hyd = standby;
      hyd *= E.hydraulicMul * (1 + rng.normal(0, 0.01 + E.hydraulicNoise));
    }

    const tension =
      mode === 'blade-out'
        ? 0
        : traits.tensionNominal *
          E.tensionMul *
          (mode === 'cutting' ? 1.015 : 1) *
          (1 + rng.normal(0, 0.003));
    const flow = running ? traits.coolantFlow * E.coolantFlowMul * (1 + rng.normal(0, 0.02)) : 0;
    this.concDrift = Math.max(-2, Math.min(2, this.concDrift + rng.normal(0, 0.002)));
    const conc = (traits.coolantConc + this.concDrift) * E.coolantConcMul + rng.normal(0, 0.1);

    // Vibration (ISO 10816 class I): pumps only when stopped; blade, load and wear when running.
    let vib = pumpOn ? 0.08 : 0.02;
    if (running) {
      vib = traits.vibBase * (1 + 0.5 * load) + E.vibrationAdd;
      if (mode === 'cutting') vib += 0.35 * (cut?.wear ?? 0);
      if (rng.chance(E.vibBurstProb)) vib += rng.uniform(0.5, 1) * E.vibBurstAmp;
    }
    vib *= Math.exp(rng.normal(0, 0.06));

    // Temperatures with thermal lag.
    const amb = ambientC(traits, ts);
    const pcKw = pcW / 1000;
    const motorTarget = running ? amb + 10 + 55 * load * load : amb;
    this.motorT = lag(this.motorT, motorTarget, dtMs, 25 * MIN_MS);
    const gearTarget = running
      ? amb + 6 + (10 * v) / model.bladeSpeedRange[1] + 8 * load + E.gearboxTempAdd
      : amb + E.gearboxTempAdd * 0.3;
    this.gearT = lag(this.gearT, gearTarget, dtMs, 40 * MIN_MS);
    const oilTarget = pumpOn
      ? amb + 12 + (mode === 'cutting' || mode === 'clamp' ? 6 : 0) + E.oilTempAdd
      : amb;
    this.oilT = lag(this.oilT, oilTarget, dtMs, 45 * MIN_MS);
    this.coolT = lag(this.coolT, amb + 2 + (mode === 'cutting' ? 3 * pcKw : 0), dtMs, 20 * MIN_MS);
    const heat =
      mode === 'cutting' ? (25 + 35 * pcKw) * (1 + 0.5 * (cut?.wear ?? 0)) * E.bladeHeatMul : running ? 3 : 0;
    this.bladeT = lag(this.bladeT, this.coolT + heat, dtMs, 8000);

    return {
      removedMm2,
      done: mode === 'cutting' && this.y <= 0,
      baselineKw,
      values: {
        bladeSpeed: Math.max(0, v),
        downFeed: Math.max(0, downFeed),
        feedForce: Math.max(0, force),
        motorCurrent: currentA(traits, power, running),
        power: Math.max(0, power),
        hydraulicPressure: Math.max(0, hyd),
        bladeTension: Math.max(0, tension),
        bladeDeviation: Math.max(-49, Math.min(49, dev)),
        vibration: Math.min(199, Math.max(0, vib)),
        motorTemp: this.motorT,
        hydraulicOilTemp: this.oilT,
        coolantTemp: this.coolT,
        bladeTemp: this.bladeT,
        gearboxTemp: this.gearT,
        coolantFlow: Math.max(0, flow),
        coolantConcentration: Math.max(0, conc),
        headPosition: this.y,
      },
    };
  }
}
