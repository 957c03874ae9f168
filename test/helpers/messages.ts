import {
  type Sample,
  TELEMETRY_VARIABLES,
  type Telemetry,
  type TelemetryVariable,
} from '../../services/contracts/index.js';

const NAMES = Object.keys(TELEMETRY_VARIABLES) as TelemetryVariable[];

/** A deterministic, in-range value for variable `name` at sample index `i` (3 decimals). */
export function sampleValue(name: TelemetryVariable, i: number, salt = 0): number {
  const { min, max } = TELEMETRY_VARIABLES[name];
  const span = Math.min(max - min, 1000);
  const k = NAMES.indexOf(name);
  const frac = ((i * 7919 + k * 104_729 + salt * 31) % 10_007) / 10_007;
  return Math.round((min + frac * span) * 1000) / 1000;
}

/** A telemetry message of `n` samples, every variable present, `stepMs` apart from `t0`. */
export function telemetryMessage(opts: {
  bootId: string;
  seq: number;
  t0: number;
  n: number;
  stepMs?: number;
  salt?: number;
}): Telemetry {
  const step = opts.stepMs ?? 100;
  const samples: Sample[] = [];
  for (let j = 0; j < opts.n; j++) {
    const index = opts.seq * opts.n + j;
    const sample: Record<string, number> = { ts: opts.t0 + index * step };
    for (const name of NAMES) sample[name] = sampleValue(name, index, opts.salt);
    samples.push(sample as Sample);
  }
  return { v: 1, ts: samples[samples.length - 1]!.ts, bootId: opts.bootId, seq: opts.seq, samples };
}

export const VARIABLE_NAMES = NAMES;
