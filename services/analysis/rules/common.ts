import { z } from 'zod';
import type { MachineState, Sample } from '../../contracts/index.js';
import { TELEMETRY_VARIABLE_NAMES, type TelemetryVariable } from '../../contracts/index.js';
import type { SawModel } from '../../seeds/index.js';
import type { Mode } from '../features/modes.js';

export const Variable = z.enum(TELEMETRY_VARIABLE_NAMES as [TelemetryVariable, ...TelemetryVariable[]]);

/** Which samples a rule looks at: by what the sample shows and by the controller's state. */
export const ModeFilter = z.enum(['cutting', 'running', 'stopped', 'blade-running', 'any']);
export type ModeFilter = z.infer<typeof ModeFilter>;
export const StateList = z.array(z.enum(['running', 'idle', 'setup', 'blade-change', 'alarm', 'offline']));

export function modeMatches(filter: ModeFilter, mode: Mode): boolean {
  switch (filter) {
    case 'any':
      return true;
    case 'blade-running':
      return mode !== 'stopped';
    default:
      return filter === mode;
  }
}

export function stateMatches(
  states: readonly MachineState[] | undefined,
  state: MachineState | undefined,
): boolean {
  return !states || (state !== undefined && states.includes(state));
}

/** A value, or a figure of the machine's model (seeds/models.json) times a factor. */
export const ModelPath = z.enum([
  'ratedCurrentA',
  'maxFeedForceN',
  'coolantFlowLMin',
  'idlePowerKw',
  'motorKw',
  'tensionMin',
  'tensionMax',
  'hydraulicMin',
  'hydraulicMax',
]);
export const Limit = z.union([
  z.number(),
  z.strictObject({ model: ModelPath, factor: z.number().default(1) }),
]);
export type Limit = z.infer<typeof Limit>;

const MODEL_VALUE: Record<z.infer<typeof ModelPath>, (m: SawModel) => number> = {
  ratedCurrentA: (m) => m.ratedCurrentA,
  maxFeedForceN: (m) => m.maxFeedForceN,
  coolantFlowLMin: (m) => m.coolantFlowLMin,
  idlePowerKw: (m) => m.idlePowerKw,
  motorKw: (m) => m.motorKw,
  tensionMin: (m) => m.tensionRange[0],
  tensionMax: (m) => m.tensionRange[1],
  hydraulicMin: (m) => m.hydraulicRange[0],
  hydraulicMax: (m) => m.hydraulicRange[1],
};

/** Resolves a limit for a machine; undefined when it refers to a model the seeds do not know. */
export function resolveLimit(limit: Limit, model: SawModel | undefined): number | undefined {
  if (typeof limit === 'number') return limit;
  return model ? MODEL_VALUE[limit.model](model) * limit.factor : undefined;
}

/** A telemetry variable, optionally minus another (e.g. blade temperature over coolant temperature). */
export const FeatureVar = z.strictObject({ variable: Variable, minus: Variable.optional() });
export type FeatureVar = z.infer<typeof FeatureVar>;

export function featureValue(s: Sample, v: FeatureVar): number | undefined {
  const a = s[v.variable];
  if (a === undefined) return undefined;
  if (!v.minus) return a;
  const b = s[v.minus];
  return b === undefined ? undefined : a - b;
}

/**
 * Raise after the condition has held for `forMs`, clear after the clear condition has held for
 * `clearForMs` (hysteresis comes from the two conditions being different).
 */
export interface Latch {
  on: boolean;
  condSince: number | null;
  clearSince: number | null;
}

export const newLatch = (): Latch => ({ on: false, condSince: null, clearSince: null });

/** Returns 'raise' / 'clear' on a transition, otherwise null. */
export function stepLatch(
  l: Latch,
  ts: number,
  cond: boolean,
  clear: boolean,
  forMs: number,
  clearForMs: number,
): 'raise' | 'clear' | null {
  if (!l.on) {
    if (!cond) {
      l.condSince = null;
      return null;
    }
    l.condSince ??= ts;
    if (ts - l.condSince >= forMs) {
      l.on = true;
      l.clearSince = null;
      return 'raise';
    }
    return null;
  }
  if (!clear) {
    l.clearSince = null;
    return null;
  }
  l.clearSince ??= ts;
  if (ts - l.clearSince >= clearForMs) {
    l.on = false;
    l.condSince = null;
    return 'clear';
  }
  return null;
}

/** Counting variant for per-window or per-cut decisions: raise after `n` in a row, clear after `k`. */
export interface Streak {
  on: boolean;
  hits: number;
  misses: number;
}

export const newStreak = (): Streak => ({ on: false, hits: 0, misses: 0 });

export function stepStreak(
  s: Streak,
  cond: boolean,
  clear: boolean,
  n: number,
  k: number,
): 'raise' | 'clear' | null {
  if (!s.on) {
    s.hits = cond ? s.hits + 1 : 0;
    if (s.hits >= n) {
      s.on = true;
      s.misses = 0;
      return 'raise';
    }
    return null;
  }
  s.misses = clear ? s.misses + 1 : 0;
  if (s.misses >= k) {
    s.on = false;
    s.hits = 0;
    return 'clear';
  }
  return null;
}

export const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
