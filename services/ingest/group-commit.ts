import type { Cursor, Journal } from './journal.js';

/** A message accepted from the source, acknowledged through `done` once it is journaled. */
export interface Arrival {
  topic: string;
  payload: Buffer;
  done: (err?: Error) => void;
}

/** a group is written at once when it reaches this size, so the memory it holds stays bounded */
const GROUP_MAX_BYTES = 256 * 1024;

/**
 * Group commit of the ingest journal: the messages accepted in one turn of the event loop are
 * appended with one write at its end (setImmediate) and acknowledged after it — a message's
 * acknowledgement never precedes its journal write, and a burst from many machines costs one
 * system call instead of one per message.
 */
export class GroupCommit {
  private group: Arrival[] = [];
  private bytes = 0;
  private scheduled = false;

  constructor(
    private readonly journal: Journal,
    private readonly on: {
      /** the group is journaled: `ends[i]` is where record i ends, `before` where the group began */
      journaled(group: readonly Arrival[], ends: readonly Cursor[], before: Cursor): void;
      /** the write failed: nothing of the group is acknowledged */
      failed(err: Error, messages: number): void;
    },
  ) {}

  /** Messages accepted and not yet journaled. */
  get waiting(): number {
    return this.group.length;
  }

  /** Joins this turn's group; `done` runs once the message is journaled (or with the error). */
  add(topic: string, payload: Buffer, done: (err?: Error) => void): void {
    this.group.push({ topic, payload, done });
    this.bytes += payload.length + topic.length;
    if (this.bytes >= GROUP_MAX_BYTES) this.commit();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.commit();
      });
    }
  }

  /** Journals the waiting group with one write, hands it on, then acknowledges it. */
  commit(): void {
    const group = this.group;
    if (group.length === 0) return;
    this.group = [];
    this.bytes = 0;
    const before = this.journal.head;
    let ends: Cursor[];
    try {
      ends = this.journal.appendAll(group);
    } catch (err) {
      this.on.failed(err as Error, group.length);
      for (const a of group) a.done(err as Error);
      return;
    }
    this.on.journaled(group, ends, before);
    for (const a of group) a.done();
  }
}
