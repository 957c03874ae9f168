import { describe, expect, it } from 'vitest';
import { isCertainlyTelemetry } from '../../services/contracts/fast-telemetry.js';
import { TELEMETRY_VARIABLES, Telemetry, validateTopicPayload } from '../../services/contracts/index.js';

/** Small deterministic PRNG (mulberry32) so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = Object.keys(TELEMETRY_VARIABLES) as (keyof typeof TELEMETRY_VARIABLES)[];
const T0 = 1_750_000_000_000;

function validPayload(r: () => number): Record<string, unknown> {
  const n = 1 + Math.floor(r() * 12);
  const samples = Array.from({ length: n }, (_, i) => {
    const s: Record<string, unknown> = { ts: T0 + i * 1000 };
    for (const name of NAMES) {
      if (r() < 0.3) continue;
      const { min, max } = TELEMETRY_VARIABLES[name];
      const edge = r();
      s[name] = edge < 0.05 ? min : edge < 0.1 ? max : min + r() * (max - min);
    }
    if (Object.keys(s).length === 1) s.power = 1.5;
    return s;
  });
  const p: Record<string, unknown> = { v: 1, ts: T0, bootId: 'boot-1', seq: Math.floor(r() * 1e6), samples };
  if (r() < 0.2) p.units = { power: 'kW', bladeSpeed: 'm/min' };
  return p;
}

/** One random defect somewhere in a valid payload (or none). */
const BAD_VALUES: unknown[] = [
  null,
  undefined,
  'x',
  '12',
  true,
  [],
  {},
  Number.NaN,
  Number.POSITIVE_INFINITY,
  -1e9,
  1e12,
  1.5,
  -0.5,
  2 ** 53,
  0,
];
function mutate(p: Record<string, unknown>, r: () => number): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const bad = pick(BAD_VALUES);
  const samples = p.samples as Record<string, unknown>[];
  const s = samples[Math.floor(r() * samples.length)] as Record<string, unknown>;
  switch (Math.floor(r() * 14)) {
    case 12: {
      // Just outside a variable's range.
      const name = pick(NAMES);
      const { min, max } = TELEMETRY_VARIABLES[name];
      s[name] = r() < 0.5 ? min - 1e-6 * (1 + Math.abs(min)) : max + 1e-6 * (1 + Math.abs(max));
      break;
    }
    case 13:
      // Epoch bounds, integer checks.
      if (r() < 0.5) s.ts = pick([946_684_799_999, 4_102_444_800_001, T0 + 0.5]);
      else p[pick(['ts', 'seq'])] = pick([946_684_799_999, 4_102_444_800_001, T0 + 0.5, -1]);
      break;
    case 0:
      p[pick(['v', 'ts', 'bootId', 'seq', 'samples', 'units'])] = bad;
      break;
    case 1:
      s[pick([...NAMES, 'ts'])] = bad;
      break;
    case 2:
      s[pick(['extra', '__proto__', 'constructor', 'toString', 'Power'])] = 1;
      break;
    case 3:
      p[pick(['extra', 'constructor', 'hasOwnProperty'])] = 1;
      break;
    case 4:
      for (const k of Object.keys(s)) if (k !== 'ts') delete s[k];
      break;
    case 5:
      delete p[pick(['v', 'ts', 'bootId', 'seq', 'samples'])];
      break;
    case 6:
      p.samples = [];
      break;
    case 7:
      p.units = { [pick(NAMES)]: pick(['kW', 'mm/s', 'A', '°F', 1]) };
      break;
    case 8:
      p.bootId = pick(['', 'x'.repeat(64), 'x'.repeat(65), 'ok']);
      break;
    case 9:
      samples.push(bad as Record<string, unknown>);
      break;
    case 10:
      return JSON.parse(JSON.stringify(p).replace('"samples"', '"__proto__"'));
    default:
      break;
  }
  return p;
}

describe('fast telemetry check (compiled from the variable table)', () => {
  it('accepts only what the zod schema accepts, and then with an equal value', () => {
    const r = prng(20261129);
    let fastAccepted = 0;
    let zodAccepted = 0;
    for (let i = 0; i < 4000; i++) {
      const base = validPayload(r);
      const candidate = i % 4 === 0 ? base : mutate(base, r);
      // Through JSON like the wire, except when the defect is one JSON cannot carry.
      const value = r() < 0.5 ? candidate : JSON.parse(JSON.stringify(candidate) ?? 'null');
      const zod = Telemetry.safeParse(value);
      const fast = isCertainlyTelemetry(value);
      if (zod.success) zodAccepted++;
      if (fast) {
        fastAccepted++;
        expect(zod.success, JSON.stringify(value)).toBe(true);
        expect(value).toStrictEqual(zod.data);
      }
    }
    // The fast path must actually carry the valid traffic, not fall back on all of it.
    expect(fastAccepted).toBeGreaterThan(0.95 * zodAccepted);
  });

  it('a rejected payload still gets the schema’s error message', () => {
    const p = validPayload(prng(7));
    (p.samples as Record<string, unknown>[])[0]!.power = 9999;
    const { result } = validateTopicPayload('sawbrain/v1/t1/M-1/telemetry', Buffer.from(JSON.stringify(p)));
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.message).toMatch(/samples\.0\.power: power above 500 kW/);
  });

  it('decodes a payload buffer once for all in-process consumers, read-only', () => {
    const buf = Buffer.from(JSON.stringify(validPayload(prng(9))));
    const topic = 'sawbrain/v1/t1/M-1/telemetry';
    const first = validateTopicPayload(topic, buf);
    expect(validateTopicPayload(topic, buf)).toBe(first);
    // Same bytes in another buffer: decoded on their own.
    expect(validateTopicPayload(topic, Buffer.from(buf))).not.toBe(first);
    // Another topic for the same buffer is not served from the cache.
    expect(validateTopicPayload('sawbrain/v1/t1/M-2/telemetry', buf)).not.toBe(first);
    expect(first.result.ok).toBe(true);
    const payload = first.result.ok ? (first.result.payload as { seq: number }) : { seq: 0 };
    expect(() => {
      payload.seq = 1;
    }).toThrow(TypeError);
  });
});
