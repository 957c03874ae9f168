import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../edge/outbox/token-bucket.js';

describe('token bucket', () => {
  it('allows a burst, then the rate', () => {
    let now = 0;
    const b = new TokenBucket(10, 3, () => now);
    expect([b.take(), b.take(), b.take(), b.take()]).toEqual([true, true, true, false]);
    expect(b.waitMs()).toBe(100);
    now = 100;
    expect(b.take()).toBe(true);
    expect(b.take()).toBe(false);
  });

  it('never holds more than the burst', () => {
    let now = 0;
    const b = new TokenBucket(10, 5, () => now);
    now = 60_000;
    expect(b.available).toBe(5);
  });

  it('paces a long run at the rate', () => {
    let now = 0;
    const b = new TokenBucket(50, 10, () => now);
    let sent = 0;
    for (now = 0; now <= 10_000; now += 5) while (b.take()) sent++;
    expect(sent).toBe(10 + 500);
  });

  it('takes a cost above the burst from a full bucket (large messages are not stuck)', () => {
    const now = 0;
    const b = new TokenBucket(1000, 100, () => now);
    expect(b.waitMs(5000)).toBe(0);
    expect(b.take(5000)).toBe(true);
    expect(b.waitMs(1)).toBeGreaterThan(4000);
  });
});
