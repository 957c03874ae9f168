import type { OutboxRow, OutboxStore } from './store.js';

const PAGE = 128;

/**
 * The backlog of one connection: the outbox rows numbered before the link came up (ids ≤
 * `upTo`), read oldest first a page at a time, skipping rows still in flight from an earlier
 * connection (mqtt.js resends those itself).
 */
export class Backlog {
  private rows: OutboxRow[] = [];
  private cursor = 0;
  upTo = 0;
  done = true;

  constructor(private readonly outbox: OutboxStore) {}

  /** A new connection: everything numbered so far is backlog. Returns its size. */
  reset(upTo: number): number {
    this.upTo = upTo;
    this.cursor = 0;
    this.rows = [];
    const size = this.outbox.countUpTo(upTo);
    this.done = size === 0;
    return size;
  }

  /** The next row to send, or undefined when the backlog has nothing left to send. */
  peek(inFlight: ReadonlySet<number>): OutboxRow | undefined {
    while (this.rows.length > 0 && inFlight.has(this.rows[0]!.id)) this.rows.shift();
    if (this.rows.length === 0 && this.cursor < this.upTo) {
      this.rows = this.outbox.page(this.cursor, this.upTo, PAGE).filter((r) => !inFlight.has(r.id));
      if (this.rows.length === 0) this.cursor = this.upTo;
    }
    return this.rows[0];
  }

  /** The row `peek` returned is being sent. */
  take(row: OutboxRow): void {
    this.rows.shift();
    this.cursor = row.id;
  }

  /** Marks the backlog done once nothing of it is left in the outbox; true when that just happened. */
  settle(): boolean {
    if (this.done || this.cursor < this.upTo || this.rows.length > 0) return false;
    if (this.outbox.countUpTo(this.upTo) > 0) return false;
    this.done = true;
    return true;
  }

  remaining(): number {
    return this.done ? 0 : this.outbox.countUpTo(this.upTo);
  }
}
