import { describe, expect, it } from 'vitest';
import { isCertainlyTelemetry } from '../../services/contracts/fast-telemetry.js';
import { Telemetry, validateTopicPayload } from '../../services/contracts/index.js';
import { mutate, prng, validPayload } from '../helpers/telemetry-payloads.js';

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
