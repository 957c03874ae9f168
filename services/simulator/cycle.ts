import type { MachineState } from '../contracts/messages.js';
import { mountBlade } from './blade-life.js';
import type { BladeReason, MachineContext, Phase } from './context.js';
import { CutRecorder } from './cut-recorder.js';
import { chartPoint, chooseBlade, drawJob } from './cutting.js';
import { areaBelowMm2, sectionAreaMm2, sectionHeightMm, sectionSizeMm } from './geometry.js';
import type { Mode } from './physics.js';
import { shiftStatus } from './schedule.js';
import { SIZE_EFFECT } from './signals.js';
import type { SimEvent } from './types.js';

/**
 * The work cycle of a saw as a state machine over MachineContext:
 * idle/job-change → setup (clamp) → approach → cutting → retract → next piece; blade change
 * when worn (or broken, or running out); pauses outside the shift calendar; alarm stops.
 */

const MIN = 60_000;
const mid = ([a, b]: readonly [number, number]) => (a + b) / 2;

export function setState(
  c: MachineContext,
  state: MachineState,
  reason: string,
  out: SimEvent[],
  ts = c.t,
): void {
  if (state === c.state) return;
  c.state = state;
  out.push({ kind: 'state', body: { ts, state, reason } });
}

function enter(
  c: MachineContext,
  phase: Phase,
  ms: number,
  state: MachineState,
  reason: string,
  out: SimEvent[],
) {
  c.phase = phase;
  c.phaseUntil = c.t + ms;
  setState(c, state, reason, out);
}

export function newBlade(c: MachineContext, used: number) {
  const cat = c.bladeChoice
    ? c.seeds.lookup.blade.get(c.bladeChoice)
    : chooseBlade(c.seeds, c.model, c.industry, c.rng);
  if (!cat) throw new RangeError(`unknown blade "${c.bladeChoice}"`);
  c.bladeCount++;
  const id = `${c.machineId.slice(0, 56)}-B${c.bladeCount}`;
  return mountBlade(cat, c.model, c.seeds.corrections, c.rng, id, used);
}

/** What the machine physically does in the current phase. */
export function modeOf(c: MachineContext): Mode {
  switch (c.phase) {
    case 'approach':
    case 'cutting':
    case 'retract':
      return c.phase;
    case 'setup':
      return 'clamp';
    case 'blade-change':
      return 'blade-out';
    case 'pause':
      return shiftStatus(c.schedule, c.t, c.region.utcOffsetMinutes).reason === 'off-shift'
        ? 'off'
        : 'stopped';
    default:
      return 'stopped';
  }
}

function nextCycle(c: MachineContext, out: SimEvent[]): void {
  const shift = shiftStatus(c.schedule, c.t, c.region.utcOffsetMinutes);
  if (!shift.working) {
    enter(c, 'pause', 0, 'idle', shift.reason ?? 'off-shift', out);
    return;
  }
  if (c.pendingChange) {
    startBladeChange(c, c.pendingChange, out);
    return;
  }
  if (!c.job || c.piecesLeft <= 0) {
    const drawn = drawJob(c.seeds, c.industry, c.model, c.rng);
    const fixed = c.fixedJob;
    const job = fixed
      ? {
          material: c.seeds.lookup.material.get(fixed.grade) ?? drawn.material,
          section: fixed.section,
          pieces: Number.POSITIVE_INFINITY,
          speedTrim: 1,
          rateTrim: 1,
        }
      : drawn;
    c.job = {
      ...job,
      chart: chartPoint(c.seeds.corrections, job.material, job.section, c.model, c.blade.cat),
    };
    c.piecesLeft = job.pieces;
    c.jobNeedsLoading = true;
    if (!fixed && c.rng.chance(0.25)) {
      enter(c, 'idle', c.rng.uniform(1, 12) * MIN, 'idle', 'waiting-material', out);
      return;
    }
  }
  if (c.jobNeedsLoading) {
    c.jobNeedsLoading = false;
    c.phys.restY = sectionHeightMm(c.job.section) + c.rng.uniform(10, 40);
    c.phys.y = c.phys.restY;
    enter(c, 'setup', c.rng.uniform(2, 8) * MIN, 'setup', 'job-change', out);
    return;
  }
  enter(c, 'setup', c.rng.uniform(8, 30) * 1000, 'setup', 'clamp', out);
}

function startCut(c: MachineContext, out: SimEvent[]): void {
  const job = c.job!;
  job.chart = chartPoint(c.seeds.corrections, job.material, job.section, c.model, c.blade.cat);
  c.cutCount++;
  c.recorder = new CutRecorder(
    `${c.t.toString(36)}-${c.cutCount}`,
    c.t,
    job.material.grade,
    job.material.classId,
    job.section,
    c.blade.spec.bladeId,
    c.intervalMs,
    c.model.idlePowerKw,
  );
  const size = sectionSizeMm(job.section);
  const [vLo, vHi] = c.model.bladeSpeedRange;
  c.cut = {
    section: job.section,
    topY: sectionHeightMm(job.section),
    speedMMin: Math.min(vHi, Math.max(vLo, job.chart.speedMMin * job.speedTrim)),
    rateCm2Min: 0,
    energyJmm3: mid(job.material.specificEnergyJmm3) * SIZE_EFFECT * c.traits.energyFactor,
    kerfMm: c.blade.cat.kerfMm,
    wear: 0,
    cutSign: c.rng.chance(0.5) ? 1 : -1,
    devLimit: Math.max(1, (0.5 * size) / 100),
    sizeMm: size,
  };
  c.lastCompleted = false;
  enter(c, 'approach', 0, 'running', 'cutting', out);
}

/** Emits the cut record; `end` is exclusive (the cut's samples are those in [start, end)). */
export function finishCut(c: MachineContext, end: number, completed: boolean, out: SimEvent[]): void {
  const rec = c.recorder;
  const setup = c.cut;
  if (!rec || !setup) return;
  const total = sectionAreaMm2(setup.section);
  const cutMm2 = completed ? total : total - areaBelowMm2(setup.section, c.phys.y);
  out.push({ kind: 'cut', body: rec.finish(end, completed, cutMm2 / 100) });
  c.lastCompleted = completed;
  if (completed) {
    if (rec.maxDeviationMm > setup.devLimit) {
      c.devCuts++;
      c.alarms.raise('DEVIATION_HIGH', end, out);
    } else {
      c.devCuts = 0;
      c.alarms.clear('DEVIATION_HIGH', end, out);
    }
  }
  c.blade.cuts++;
  c.recorder = undefined;
}

function afterCycle(c: MachineContext, out: SimEvent[]): void {
  if (c.lastCompleted) c.piecesLeft--;
  if (c.blade.used >= c.blade.replaceAt) c.pendingChange ??= 'worn';
  // The operator changes a blade that cut crooked three times in a row.
  if (c.devCuts >= 3) c.pendingChange ??= 'maintenance';
  nextCycle(c, out);
}

function startBladeChange(c: MachineContext, reason: BladeReason, out: SimEvent[]): void {
  const b = c.blade;
  out.push({
    kind: 'blade',
    body: {
      ts: c.t,
      event: 'dismount',
      blade: b.spec,
      reason,
      areaCutCm2: Math.round(b.areaCm2 * 10) / 10,
      cuts: b.cuts,
    },
  });
  for (const f of c.faults) f.onBladeRemoved(c.t);
  c.pendingChange = undefined;
  c.devCuts = 0;
  c.alarms.clear('DEVIATION_HIGH', c.t, out);
  c.phys.y = c.phys.restY;
  enter(c, 'blade-change', c.rng.uniform(8, 20) * MIN, 'blade-change', reason, out);
}

/** Phase changes due at the start of the tick at `c.t`. */
export function transition(c: MachineContext, out: SimEvent[]): void {
  const t = c.t;
  switch (c.phase) {
    case 'boot':
      nextCycle(c, out);
      return;
    case 'idle':
      if (t >= c.phaseUntil) nextCycle(c, out);
      return;
    case 'setup':
      if (t >= c.phaseUntil) startCut(c, out);
      return;
    case 'approach':
      if (c.phys.y <= (c.cut?.topY ?? 0)) c.phase = 'cutting';
      return;
    case 'retract':
      if (c.phys.y >= c.phys.restY) afterCycle(c, out);
      return;
    case 'pause':
      if (shiftStatus(c.schedule, t, c.region.utcOffsetMinutes).working) nextCycle(c, out);
      return;
    case 'alarm':
      if (t < c.phaseUntil) return;
      c.alarms.clear('BLADE_BROKEN', t, out);
      c.alarms.clear('MOTOR_OVERLOAD', t, out);
      for (const f of c.faults) if (f.kind === 'motor-overload' && f.active) f.end(t);
      c.phase = 'retract';
      setState(c, 'running', 'retract-after-alarm', out);
      return;
    case 'blade-change':
      if (t < c.phaseUntil) return;
      c.blade = newBlade(c, 0);
      out.push({ kind: 'blade', body: { ts: t, event: 'mount', blade: c.blade.spec, reason: 'new' } });
      nextCycle(c, out);
      return;
    case 'cutting':
      return;
  }
}

/** Blade breakage: abrupt load loss at `c.t`, cut aborted, critical alarm, blade change after. */
export function breakBlade(c: MachineContext, out: SimEvent[]): void {
  finishCut(c, c.t, false, out);
  c.alarms.raise('BLADE_BROKEN', c.t, out);
  c.pendingChange = 'broken';
  enter(c, 'alarm', c.rng.uniform(3, 10) * MIN, 'alarm', 'alarm BLADE_BROKEN', out);
}

/** Overload trip after the sample ending at `end`: drive off, cut aborted, reset after minutes. */
export function tripOverload(c: MachineContext, end: number, out: SimEvent[]): void {
  finishCut(c, end, false, out);
  c.overStreak = 0;
  c.alarms.raise('MOTOR_OVERLOAD', end, out);
  for (const f of c.faults) if (f.kind === 'motor-overload') f.markEvent(end);
  c.phase = 'alarm';
  c.phaseUntil = end + c.rng.uniform(2, 8) * MIN;
  setState(c, 'alarm', 'alarm MOTOR_OVERLOAD', out, end);
}
