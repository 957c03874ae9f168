/**
 * A token bucket: `ratePerSec` tokens a second up to `burst`. The backfill lane takes one token
 * per message (and, optionally, a byte bucket one per byte) so replaying a backlog never goes
 * faster than the configured rate however big the backlog is.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    private readonly now: () => number,
  ) {
    if (!(ratePerSec > 0) || !(burst > 0)) throw new RangeError('rate and burst must be > 0');
    this.tokens = burst;
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.ratePerSec) / 1000);
    this.last = t;
  }

  /** Takes `n` tokens if available (n above the burst is allowed from a full bucket). */
  take(n = 1): boolean {
    this.refill();
    const need = Math.min(n, this.burst);
    if (this.tokens < need) return false;
    this.tokens -= n;
    return true;
  }

  /** Milliseconds until `n` tokens are available (0 = now). */
  waitMs(n = 1): number {
    this.refill();
    const need = Math.min(n, this.burst);
    return this.tokens >= need ? 0 : Math.ceil(((need - this.tokens) * 1000) / this.ratePerSec);
  }

  get available(): number {
    this.refill();
    return this.tokens;
  }
}
