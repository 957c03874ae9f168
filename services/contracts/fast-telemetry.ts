import { STANDARD_VERSION } from './messages.js';
import { TELEMETRY_VARIABLES } from './variables.js';

/**
 * A fast acceptance check for the telemetry message, built from the same variable table as the
 * zod schema (`Telemetry` in messages.ts). It answers one question — "is this plain JSON value
 * certainly a valid telemetry payload, equal to what the schema would return?" — and returns
 * false whenever in doubt (a class instance, an `undefined` property, an unknown key…). A false
 * answer costs nothing but the zod path, which stays the authority and writes the error message.
 *
 * Why: telemetry is nearly all of the traffic, and the generic schema walk (≈ 20–45 µs for a
 * 10 × 17 message) was the largest single cost of ingest. A test (test/unit/fast-telemetry)
 * checks the implication "accepted here ⇒ accepted by zod with an equal value" on generated and
 * mutated payloads.
 */

const EPOCH_MIN = 946_684_800_000;
const EPOCH_MAX = 4_102_444_800_000;
const SEQ_MAX = 2 ** 53 - 1;
const BOOT_ID_MAX = 64;
const SAMPLES_MAX = 5000;

interface Bounds {
  min: number;
  max: number;
  unit: string;
}

const VARIABLES = new Map<string, Bounds>(
  Object.entries(TELEMETRY_VARIABLES).map(([name, s]) => [name, { min: s.min, max: s.max, unit: s.unit }]),
);

const ENVELOPE_KEYS = new Set(['v', 'ts', 'bootId', 'seq', 'samples', 'units']);

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

function isEpochMs(x: unknown): boolean {
  return typeof x === 'number' && Number.isInteger(x) && x >= EPOCH_MIN && x <= EPOCH_MAX;
}

function sampleOk(s: unknown): boolean {
  if (!isPlainObject(s)) return false;
  let variables = 0;
  let hasTs = false;
  for (const key in s) {
    const value = s[key];
    if (key === 'ts') {
      if (!isEpochMs(value)) return false;
      hasTs = true;
      continue;
    }
    const bounds = VARIABLES.get(key);
    // `!(a && b)` so that NaN fails too.
    if (bounds === undefined || typeof value !== 'number' || !(value >= bounds.min && value <= bounds.max))
      return false;
    variables++;
  }
  return hasTs && variables > 0;
}

function unitsOk(u: unknown): boolean {
  if (!isPlainObject(u)) return false;
  for (const key in u) {
    const bounds = VARIABLES.get(key);
    if (bounds === undefined || u[key] !== bounds.unit) return false;
  }
  return true;
}

/** True only if `value` is a valid telemetry payload that the schema would return unchanged. */
export function isCertainlyTelemetry(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  for (const key in value) if (!ENVELOPE_KEYS.has(key) || value[key] === undefined) return false;
  const { bootId, seq, samples, units } = value;
  if (value.v !== STANDARD_VERSION || !isEpochMs(value.ts)) return false;
  if (typeof bootId !== 'string' || bootId.length < 1 || bootId.length > BOOT_ID_MAX) return false;
  if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 0 || seq > SEQ_MAX) return false;
  if (!Array.isArray(samples) || samples.length < 1 || samples.length > SAMPLES_MAX) return false;
  for (let i = 0; i < samples.length; i++) if (!sampleOk(samples[i])) return false;
  return units === undefined || unitsOk(units);
}
