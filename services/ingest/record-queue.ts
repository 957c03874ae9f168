import { type Cursor, compareCursor, type Journal, type JournalRecord } from './journal.js';

/**
 * The journaled records the flusher has not converted yet, in journal order: in memory up to a
 * byte budget; beyond it (the store down for a while, or a backlog found at start-up) the rest is
 * read back from the journal, in order, until the reads catch up with its head — then new records
 * go to memory again. Taken slots are cleared, so nothing holds a converted record.
 */
export class RecordQueue {
  private queue: (JournalRecord | undefined)[] = [];
  private head = 0;
  private bytes = 0;
  /** true while records exist on disk that are not in the memory queue */
  private overflow = false;
  private readCursor: Cursor = { segment: 0, offset: 0 };

  constructor(
    private readonly journal: Journal,
    private readonly maxBytes: number,
  ) {}

  /** After the journal is opened: what lies on disk beyond `committed` is read back first. */
  startFrom(committed: Cursor): void {
    this.readCursor = committed;
    this.overflow = compareCursor(committed, this.journal.head) < 0;
  }

  /** Records waiting (in memory or on disk). */
  get waiting(): boolean {
    return this.head < this.queue.length || this.overflow;
  }

  /** Whether the records are being read back from disk (bigger reads pay off then). */
  get fromDisk(): boolean {
    return this.overflow;
  }

  /** Queues a journaled record (`before` is where it starts in the journal, `end` where it ends). */
  add(topic: string, payload: Buffer, before: Cursor, end: Cursor): void {
    if (this.overflow) return;
    const size = payload.length + topic.length;
    if (this.bytes + size > this.maxBytes) {
      // memory is full: the rest is read back from disk in order
      this.overflow = true;
      this.readCursor = before;
      return;
    }
    this.queue.push({ topic, payload, end });
    this.bytes += size;
  }

  /** Up to `max` records, in order. */
  take(max: number): JournalRecord[] {
    if (this.head < this.queue.length) {
      const end = Math.min(this.queue.length, this.head + max);
      const out: JournalRecord[] = [];
      for (let i = this.head; i < end; i++) {
        const r = this.queue[i]!;
        this.queue[i] = undefined;
        this.bytes -= r.payload.length + r.topic.length;
        out.push(r);
      }
      this.head = end;
      if (this.head > 4096 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      return out;
    }
    if (!this.overflow) return [];
    const out = this.journal.read(this.readCursor, max);
    if (out.length === 0) {
      this.overflow = false; // caught up with the head: appends go to memory again
      return out;
    }
    this.readCursor = out[out.length - 1]!.end;
    return out;
  }
}
