import type { BladeSpec } from '../../contracts/index.js';
import { median, type SlopeEstimate } from '../baselines/robust.js';
import { BladeRecord } from './blade.js';
import type { WearPoint } from './slopes.js';
import { type CutEnergy, type StepOptions, stepCheck } from './steps.js';
import { type WindowOptions, windowSlopes } from './windows.js';

/** Reference data the wear model leans on until the fleet has taught it better. */
export interface BladePriors {
  /** blade life in a material relative to the reference material (materials.json lifeFactor) */
  lifeFactor(grade: string): number;
  /** catalogue life of a blade in the reference material, cm² (blades.json) */
  nominalLifeCm2(spec: BladeSpec | undefined): number | undefined;
  /** DOMAIN §4: break-in area, cm² (upper end of the published range) */
  breakInCm2: number;
}

export interface BladeLifeOptions extends WindowOptions, StepOptions {
  /** the first share of the expected life is break-in too (fast initial wear), default 0.05 */
  breakInLifeFraction: number;
  /** relative rise of e_A at which a blade is worn, until learned from worn dismounts, default 0.35 */
  endOfLifeRise: number;
  /** cuts shorter than this (s) are too noisy for the trend and steps (their area still counts) */
  minCutSeconds: number;
}

export const DEFAULT_BLADE_LIFE: BladeLifeOptions = {
  breakInLifeFraction: 0.05,
  endOfLifeRise: 0.35,
  minCutSeconds: 30,
  lifeFraction: 0.08,
  minPoints: 5,
  maxPoints: 60,
  minPairs: 10,
  stepMin: 0.04,
  stepSigma: 5,
  stepWait: 6,
};

export interface WearCut {
  ts: number;
  bladeId: string;
  grade: string;
  /** material × section class */
  key: string;
  /** the exact section (steps are judged against the same section only) */
  stepKey: string;
  areaCm2: number;
  /** specific cutting energy, J/cm² */
  eA: number;
  /** relative standard error of e_A from its idle-power estimate (absent: 0) */
  relSe?: number;
  completed: boolean;
  /** duration of the cut, s */
  seconds: number;
}

/** What one cut did to the wear picture. */
export interface WearUpdate {
  blade: BladeRecord;
  inBreakIn: boolean;
  residual?: number;
  /** a chipping step confirmed by this cut (ln units) */
  step?: { ts: number; size: number };
}

/** References (sharp-blade e_A per key) are learned while a blade is below this share of its life. */
const REF_LEARN_SHARE = 0.3;

const cap = <T>(list: T[], n: number) => {
  if (list.length > n) list.splice(0, list.length - n);
};

/**
 * Per machine: the mounted blade's wear trend on the specific cutting energy e_A (DOMAIN §4) —
 * break-in dropped, chipping steps told apart from wear and removed from the trend — plus what the
 * machine teaches over blades: the sharp-blade level of e_A per material × section class, the
 * rise at which its operators change worn blades, normal wear slopes and blade lives.
 */
export class BladeTracker {
  current: BladeRecord | undefined;
  private readonly refSamples = new Map<string, number[]>();
  readonly refs = new Map<string, number>();
  private readonly eolSamples: number[] = [];
  private readonly slopeSamples: number[] = [];
  private readonly lifeSamples: number[] = [];
  private cache: { blade: BladeRecord; n: number; slopes: ReturnType<typeof windowSlopes> } | null = null;

  constructor(
    private readonly priors: BladePriors,
    readonly o: BladeLifeOptions = DEFAULT_BLADE_LIFE,
  ) {}

  /** Blade seen in a birth certificate: keep following it if it is the one we know. */
  seen(spec: BladeSpec | undefined, ts: number): void {
    if (!spec || this.current?.id === spec.bladeId) return;
    this.current = new BladeRecord(spec.bladeId, spec, false, ts);
  }

  mounted(spec: BladeSpec, isNew: boolean, ts: number): void {
    this.current = new BladeRecord(spec.bladeId, spec, isNew, ts);
  }

  dismounted(bladeId: string, reason: string | undefined): void {
    const b = this.current;
    if (!b || b.id !== bladeId) return;
    if (reason === 'worn' && b.knownFromNew && b.steps.length === 0) {
      const first = b.points[0];
      if (b.wear > 0) this.eolSamples.push(b.wear);
      if (first && b.x > first.x && b.wear > 0) {
        this.slopeSamples.push(b.wear / (b.x - first.x));
        this.lifeSamples.push(b.x);
      }
      cap(this.eolSamples, 20);
      cap(this.slopeSamples, 20);
      cap(this.lifeSamples, 20);
    }
    this.current = undefined;
  }

  /** ln-rise of e_A at which a blade counts as worn. */
  get endOfLife(): number {
    return this.eolSamples.length > 0 ? median(this.eolSamples) : Math.log(1 + this.o.endOfLifeRise);
  }

  /** Expected blade life in equivalent cm² (learned, else the catalogue). */
  expectedLife(b: BladeRecord | undefined = this.current): number | undefined {
    if (this.lifeSamples.length > 0) return median(this.lifeSamples);
    return this.priors.nominalLifeCm2(b?.spec);
  }

  /** Normal wear slope (ln e_A per equivalent cm²): learned from worn blades, else the catalogue. */
  normalSlope(b: BladeRecord): { slope: number; source: 'machine' | 'catalogue' } | undefined {
    if (this.slopeSamples.length >= 2) return { slope: median(this.slopeSamples), source: 'machine' };
    const life = this.expectedLife(b);
    return life ? { slope: this.endOfLife / life, source: 'catalogue' } : undefined;
  }

  /** Recent and earlier wear slopes of a blade (cached per cut). */
  slopes(b: BladeRecord): { recent: SlopeEstimate | null; earlier: SlopeEstimate | null } {
    if (this.cache?.blade === b && this.cache.n === b.points.length) return this.cache.slopes;
    const slopes = windowSlopes(b.points, this.expectedLife(b), this.o);
    this.cache = { blade: b, n: b.points.length, slopes };
    return slopes;
  }

  /** Rise of ln e_A since run-in: integrated for blades followed from new, else via the references. */
  rise(b: BladeRecord): number | undefined {
    if (b.knownFromNew) return b.points.length > 0 ? b.wear : undefined;
    const viaRefs: number[] = [];
    for (let i = b.points.length - 1; i >= 0 && viaRefs.length < 7; i--) {
      const p = b.points[i]!;
      const ref = this.refs.get(p.key);
      if (ref !== undefined && (this.refSamples.get(p.key)?.length ?? 0) >= 3) viaRefs.push(p.y - ref);
    }
    return viaRefs.length >= 3 ? Math.max(0, median(viaRefs)) : undefined;
  }

  onCut(c: WearCut): WearUpdate | undefined {
    if (!this.current || this.current.id !== c.bladeId)
      this.current = new BladeRecord(c.bladeId, undefined, false, c.ts);
    const b = this.current;
    if (!(c.areaCm2 > 0.5) || !(c.eA > 0)) return undefined;
    const dx = c.areaCm2 / Math.max(0.05, this.priors.lifeFactor(c.grade));
    b.areaCm2 += c.areaCm2;
    b.x += dx;
    b.cuts++;
    if (!c.completed || c.seconds < this.o.minCutSeconds) return { blade: b, inBreakIn: false };
    b.lastAreas.push(c.areaCm2);
    cap(b.lastAreas, 10);
    const x = b.x - dx / 2;
    const life = this.expectedLife(b);
    const inBreakIn =
      b.knownFromNew &&
      (b.areaCm2 - c.areaCm2 / 2 < this.priors.breakInCm2 ||
        (life !== undefined && x < this.o.breakInLifeFraction * life));
    const update: WearUpdate = { blade: b, inBreakIn };
    const slope = Math.max(0, this.slopes(b).recent?.slope ?? this.normalSlope(b)?.slope ?? 0);
    const energy: CutEnergy = { lnEA: Math.log(c.eA), relSe: c.relSe ?? 0 };
    const verdict = stepCheck(b, { section: c.stepKey, cls: c.key }, x, energy, slope, c.ts, this.o);
    if (verdict.residual !== undefined) update.residual = verdict.residual;
    if (verdict.step) update.step = verdict.step;
    if (verdict.hold) return update;
    const point: WearPoint = {
      ts: c.ts,
      key: c.key,
      seg: b.steps.length,
      x,
      y: energy.lnEA - b.stepOffset,
      areaCm2: c.areaCm2,
    };
    b.lastByKey.set(c.stepKey, { point, index: b.cuts, energy });
    b.lastByKey.set(c.key, { point, index: b.cuts, energy });
    if (inBreakIn) return update;
    const prev = b.points[b.points.length - 1];
    b.points.push(point);
    if (b.points.length > 1500) b.points.splice(1, 500);
    if (prev) b.wear += Math.max(0, this.slopes(b).recent?.slope ?? slope) * (x - prev.x);
    // the steady-wear line starts at area 0: the run-in's extra wear is dropped, not its area
    else if (b.knownFromNew) b.wear = slope * x;
    // sharp-blade references come from the early life of blades followed from new
    if (b.knownFromNew && b.wear < REF_LEARN_SHARE * this.endOfLife) this.learnRef(c.key, point.y - b.wear);
    return update;
  }

  private learnRef(key: string, value: number): void {
    const list = this.refSamples.get(key) ?? [];
    list.push(value);
    cap(list, 40);
    this.refSamples.set(key, list);
    this.refs.set(key, median(list));
  }
}
