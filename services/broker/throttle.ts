/**
 * Failed-login throttling, per remote address and per username: `max` failures within a fixed
 * window lock the key for `lockoutMs`; while locked even correct credentials are refused (and no
 * scrypt work is spent). Memory is bounded: beyond `maxEntries` keys, idle ones are dropped first,
 * then the oldest.
 */
export interface ThrottleConfig {
  maxPerAddress: number;
  maxPerUsername: number;
  windowMs: number;
  lockoutMs: number;
}

export type ThrottleKey = 'address' | 'username';

interface Entry {
  count: number;
  windowStart: number;
  lockedUntil: number;
}

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly config: ThrottleConfig,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 100_000,
  ) {}

  /** Which key (if any) is locked out right now. */
  lockedBy(address: string, username: string | undefined): ThrottleKey | null {
    const t = this.now();
    if (this.isLocked(`a:${address}`, t)) return 'address';
    if (username && this.isLocked(`u:${username}`, t)) return 'username';
    return null;
  }

  /** Records a failed login; returns the keys that became locked by it. */
  fail(address: string, username: string | undefined): ThrottleKey[] {
    const t = this.now();
    const locked: ThrottleKey[] = [];
    if (this.bump(`a:${address}`, this.config.maxPerAddress, t)) locked.push('address');
    if (username && this.bump(`u:${username}`, this.config.maxPerUsername, t)) locked.push('username');
    return locked;
  }

  /** A successful login clears the username's failures (not the address': one valid login must not launder a sweep). */
  succeed(username: string): void {
    this.entries.delete(`u:${username}`);
  }

  get size(): number {
    return this.entries.size;
  }

  private isLocked(key: string, t: number): boolean {
    const e = this.entries.get(key);
    return e !== undefined && e.lockedUntil > t;
  }

  private bump(key: string, max: number, t: number): boolean {
    let e = this.entries.get(key);
    if (!e || (t - e.windowStart >= this.config.windowMs && e.lockedUntil <= t)) {
      if (!e) this.makeRoom(t);
      e = { count: 0, windowStart: t, lockedUntil: 0 };
      this.entries.set(key, e);
    }
    if (e.lockedUntil > t) return false;
    e.count++;
    if (e.count >= max) {
      e.lockedUntil = t + this.config.lockoutMs;
      // the lockout ends with a fresh window
      e.count = 0;
      e.windowStart = e.lockedUntil;
      return true;
    }
    return false;
  }

  private makeRoom(t: number): void {
    if (this.entries.size < this.maxEntries) return;
    for (const [key, e] of this.entries) {
      if (e.lockedUntil <= t && t - e.windowStart >= this.config.windowMs) this.entries.delete(key);
    }
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }
}
