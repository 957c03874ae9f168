import { TELEMETRY_VARIABLES } from '../../services/contracts/index.js';

/**
 * Generated telemetry payloads for the property tests of the fast telemetry paths
 * (test/unit/fast-telemetry, test/unit/telemetry-scan): valid ones, and one random defect each.
 */

/** Small deterministic PRNG (mulberry32) so a failure can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const NAMES = Object.keys(TELEMETRY_VARIABLES) as (keyof typeof TELEMETRY_VARIABLES)[];
export const T0 = 1_750_000_000_000;

export function validPayload(r: () => number): Record<string, unknown> {
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
export function mutate(p: Record<string, unknown>, r: () => number): unknown {
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
