import type { Birth, BladeSpec, MachineState, Section } from '../contracts/messages.js';
import { TELEMETRY_VARIABLE_NAMES } from '../contracts/variables.js';
import type { Industry, Region, SawModel, Seeds } from '../seeds/index.js';
import { AlarmMonitor } from './alarms.js';
import { breakInFactor, consumeLife } from './blade-life.js';
import type { MachineContext } from './context.js';
import { breakBlade, finishCut, modeOf, newBlade, transition, tripOverload } from './cycle.js';
import { FaultInstance } from './fault-instance.js';
import { type FaultLabel, type FaultSpec, neutralEffects } from './faults.js';
import { SawPhysics } from './physics.js';
import { Rng } from './rng.js';
import { monitorSample } from './sample-alarms.js';
import type { Schedule } from './schedule.js';
import {
  drawTraits,
  powerForCurrentKw,
  TRIP_CURRENT_RATIO,
  type Traits,
  toSample,
  wearIndex,
} from './signals.js';
import type { Body, SimEvent } from './types.js';

export const SIMULATOR_FIRMWARE = 'sawbrain-sim/1';

export interface SawSimulatorOptions {
  machineId: string;
  serial?: string;
  seeds: Seeds;
  model: SawModel | string;
  industry: Industry | string;
  region: Region | string;
  /** one seed fixes everything this machine does */
  seed: number;
  startMs: number;
  sampleIntervalMs?: number;
  /** faults for this machine (other machines' entries are ignored) */
  faults?: readonly FaultSpec[];
  /** shift calendar; default the industry's */
  schedule?: Schedule;
  /** always cut this material and section, at the chart point (tests, evaluation) */
  job?: { grade: string; section: Section };
  /** consumed life of the blade mounted at start, 0..1 (default drawn in 0..0.7) */
  initialBladeUse?: number;
  /** catalogue id of the blades to mount (default chosen for the plant) */
  blade?: string;
}

function resolve<T>(v: T | string, map: ReadonlyMap<string, T>, what: string): T {
  if (typeof v !== 'string') return v;
  const found = map.get(v);
  if (!found) throw new RangeError(`unknown ${what} "${v}"`);
  return found;
}

/**
 * One band saw, pure and deterministic: no I/O, no clock. `advance(toMs)` produces every sample
 * due (one per sample interval) with the controller events in between — state changes, cut
 * records, blade mount/dismount, alarms. Fault labels stay inside (`labels()`), never in events.
 */
export class SawSimulator {
  readonly machineId: string;
  readonly serial: string;
  readonly model: SawModel;
  readonly sampleIntervalMs: number;
  readonly traits: Traits;
  private readonly c: MachineContext;
  private readonly noise: Rng;

  constructor(o: SawSimulatorOptions) {
    this.machineId = o.machineId;
    this.serial = o.serial ?? `SIM-${o.machineId}`.slice(0, 64);
    this.model = resolve(o.model, o.seeds.lookup.model, 'model');
    const industry = resolve(o.industry, o.seeds.lookup.industry, 'industry');
    const region = resolve(o.region, o.seeds.lookup.region, 'region');
    this.sampleIntervalMs = o.sampleIntervalMs ?? 1000;
    const root = new Rng(o.seed);
    this.noise = root.fork('noise');
    this.traits = drawTraits(this.model, region, root.fork('traits'));
    const faultRng = root.fork('faults');
    const t = Math.ceil(o.startMs / this.sampleIntervalMs) * this.sampleIntervalMs;
    const rng = root.fork('process');
    this.c = {
      machineId: o.machineId,
      seeds: o.seeds,
      model: this.model,
      industry,
      region,
      traits: this.traits,
      intervalMs: this.sampleIntervalMs,
      schedule: o.schedule ?? industry.shifts,
      fixedJob: o.job,
      bladeChoice: o.blade,
      rng,
      faults: (o.faults ?? [])
        .filter((f) => f.machineId === o.machineId)
        .map((f) => new FaultInstance(f, faultRng.fork(`${f.fault}@${f.onsetTs}`))),
      alarms: new AlarmMonitor(),
      phys: new SawPhysics(this.model, this.traits, this.noise, t),
      t,
      phase: 'boot',
      phaseUntil: 0,
      state: undefined,
      job: undefined,
      piecesLeft: 0,
      jobNeedsLoading: false,
      blade: undefined as never,
      bladeCount: 0,
      pendingChange: undefined,
      recorder: undefined,
      cut: undefined,
      cutCount: 0,
      lastCompleted: true,
      overStreak: 0,
      devCuts: 0,
      baselineKw: 0,
    };
    this.c.blade = newBlade(this.c, o.initialBladeUse ?? rng.uniform(0, 0.7));
  }

  /** Timestamp of the next sample this machine will produce. */
  get nextSampleTs(): number {
    return this.c.t;
  }

  get currentState(): MachineState | undefined {
    return this.c.state;
  }

  get mountedBlade(): BladeSpec {
    return this.c.blade.spec;
  }

  /** Consumed life of the mounted blade (ground truth for evaluation; not published). */
  get bladeLifeUsed(): number {
    return this.c.blade.used;
  }

  /** The birth certificate body of this controller at `ts`. */
  birth(ts: number): Body<Birth> {
    return {
      ts,
      model: this.model.id,
      serial: this.serial,
      firmware: SIMULATOR_FIRMWARE,
      capabilities: [...TELEMETRY_VARIABLE_NAMES],
      sampleIntervalMs: this.sampleIntervalMs,
      blade: this.c.blade.spec,
    };
  }

  /** Ground-truth labels of the faults that have started so far (copies). */
  labels(): FaultLabel[] {
    return this.c.faults.flatMap((f) => (f.label ? [{ ...f.label }] : []));
  }

  /** Produces every sample (and event) due up to and including `toMs`. */
  advance(toMs: number): SimEvent[] {
    const out: SimEvent[] = [];
    while (this.c.t <= toMs) this.tick(out);
    return out;
  }

  /** Produces exactly one sample interval. */
  step(): SimEvent[] {
    const out: SimEvent[] = [];
    this.tick(out);
    return out;
  }

  private tick(out: SimEvent[]): void {
    const c = this.c;
    const ts = c.t;
    const dt = this.sampleIntervalMs;
    const tripKw = powerForCurrentKw(this.traits, this.model.ratedCurrentA * TRIP_CURRENT_RATIO * 1.05);
    const ctx = { t: ts, cutting: c.phase === 'cutting', overloadKw: tripKw - c.baselineKw };
    for (const f of c.faults) {
      const u = f.update(ctx);
      if (u.wearStep > 0) c.blade.used += u.wearStep;
      if (u.breakNow && c.phase === 'cutting') breakBlade(c, out);
    }
    transition(c, out);

    const E = neutralEffects();
    ctx.cutting = c.phase === 'cutting';
    for (const f of c.faults) f.apply(E, ctx);
    const cutting = c.phase === 'cutting';
    const job = c.job;
    if (cutting && c.cut && job) {
      const breakIn = breakInFactor(c.seeds.corrections, job.material, c.blade);
      c.cut.wear = wearIndex(c.blade.used);
      c.cut.rateCm2Min = job.chart.rateCm2Min * job.rateTrim * job.chart.pitchFactor * breakIn * E.feedMul;
    }
    const mode = modeOf(c);
    const res = c.phys.tick(ts, dt, mode, E, c.cut);
    const sample = toSample(ts, res.values);
    out.push({ kind: 'sample', sample });
    if (cutting && job) {
      c.baselineKw = res.baselineKw;
      consumeLife(c.blade, job.material, res.removedMm2 / 100, E.wearRateMul);
    }
    if (c.recorder && (c.phase === 'approach' || cutting)) c.recorder.add(sample, cutting);
    monitorSample(c.alarms, sample, this.model, this.traits, mode, out);
    if (cutting) {
      const over = (sample.motorCurrent ?? 0) >= this.model.ratedCurrentA * TRIP_CURRENT_RATIO;
      c.overStreak = over ? c.overStreak + 1 : 0;
      if (c.overStreak >= 3) tripOverload(c, ts + dt, out);
      else if (res.done) {
        finishCut(c, ts + dt, true, out);
        c.phase = 'retract';
      }
    }
    c.t += dt;
  }
}
