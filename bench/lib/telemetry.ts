import { TELEMETRY_VARIABLE_NAMES, TELEMETRY_VARIABLES } from '../../services/contracts/index.js';

/**
 * The bench's telemetry, one definition for the load generator and the ceiling, so that the
 * ceiling writes exactly the values, series and timestamps end to end stores: sample `i` of
 * machine `salt` at `t0 + i × 10 ms`, every variable of the standard inside its plausible range.
 */
const VARS = TELEMETRY_VARIABLE_NAMES.map((name, k) => {
  const { min, max } = TELEMETRY_VARIABLES[name];
  return { name, k, min, span: Math.min(max - min, 1000) };
});

export const SAMPLE_INTERVAL_MS = 10;

/** Value of variable `k` in sample `i` of machine `salt`. */
export function sampleValue(i: number, k: number, salt: number): number {
  const v = VARS[k]!;
  return v.min + ((((i * 31 + k * 7 + salt) % 97) + 0.5) / 100) * v.span;
}

/** `sampleValue` repeats with `i` modulo this: the members of a sample are cached per residue. */
const PERIOD = 97;
const membersBySalt = new Map<number, string[]>();

/** The `"name":value` members of sample `i` (no braces), as the standard's JSON writes them. */
function sampleMembers(i: number, salt: number): string {
  let cache = membersBySalt.get(salt);
  if (!cache) {
    cache = [];
    membersBySalt.set(salt, cache);
  }
  const r = i % PERIOD;
  let out = cache[r];
  if (out === undefined) {
    out = '';
    for (const v of VARS) out += `,"${v.name}":${sampleValue(i, v.k, salt)}`;
    cache[r] = out;
  }
  return out;
}

/**
 * One telemetry message of the standard as JSON: message `seq` of machine `salt`, `n` samples.
 * Written as a template of cached members rather than objects + JSON.stringify: the same bytes,
 * less CPU taken from the system under test on a shared machine (≈ 2 µs instead of 25–31).
 */
export function telemetryPayload(seq: number, t0: number, n: number, salt: number): string {
  let samples = '';
  for (let j = 0; j < n; j++) {
    const i = seq * n + j;
    samples += `${j ? ',' : ''}{"ts":${t0 + i * SAMPLE_INTERVAL_MS}${sampleMembers(i, salt)}}`;
  }
  const ts = t0 + (seq + 1) * n * SAMPLE_INTERVAL_MS;
  return `{"v":1,"ts":${ts},"bootId":"bench","seq":${seq},"samples":[${samples}]}`;
}

/** Line-protocol fields of sample `i` of machine `salt`: ` name=value,…` as SawBrain writes them. */
export function sampleFieldsLine(i: number, salt: number): string {
  let out = '';
  for (const v of VARS) out += `${v.k ? ',' : ' '}${v.name}=${sampleValue(i, v.k, salt)}`;
  return out;
}
