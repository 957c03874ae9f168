import {
  closeSync,
  existsSync,
  fstatSync,
  fsync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  unlink,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

/**
 * The ingest journal: an append-only, segmented log of accepted MQTT messages on local disk.
 *
 * Ingest appends every accepted message here *before* it acknowledges it (PUBACK), so a message
 * the broker considers delivered is on disk. A flusher drains the journal into the time-series
 * store in batches and commits a cursor once the store has the data. While the store is
 * unreachable the journal simply grows (it is the spool); on restart everything after the
 * committed cursor is replayed in order. Writes are idempotent, so replaying a record that was
 * stored just before a crash does no harm.
 *
 * Record layout: u16 magic 0x5342 | u16 topic length | u32 payload length | topic | payload.
 * A torn record at the tail (crash mid-write) is truncated away on open.
 */
const MAGIC = 0x5342;
const HEADER = 8;
/** the group-commit buffer kept between writes (a larger one is dropped after its write) */
const SCRATCH_KEEP = 1 << 20;
const SEGMENT_RE = /^(\d{12})\.jrnl$/;

export interface Cursor {
  segment: number;
  offset: number;
}

export interface JournalRecord {
  topic: string;
  payload: Buffer;
  /** position just after this record */
  end: Cursor;
}

export type FsyncMode = 'always' | 'interval' | 'never';

export interface JournalOptions {
  dir: string;
  fsync: FsyncMode;
  maxSegmentBytes?: number;
  /** a background fsync or segment deletion failed (default: ignored; ingest logs it) */
  onBackgroundError?: (err: Error) => void;
}

export function compareCursor(a: Cursor, b: Cursor): number {
  return a.segment - b.segment || a.offset - b.offset;
}

export class Journal {
  private readonly dir: string;
  private readonly fsyncMode: FsyncMode;
  private readonly maxSegmentBytes: number;
  private fd = -1;
  private writeSegment = 0;
  private writeOffset = 0;
  private dirty = false;
  /** background fsyncs running per fd, and the fds to close once theirs end */
  private readonly syncing = new Map<number, number>();
  private readonly closing = new Set<number>();
  /** released segments whose deletion is under way */
  private readonly deleting = new Set<number>();
  private readonly onBackgroundError: (err: Error) => void;
  private committed: Cursor = { segment: 0, offset: 0 };
  private readonly header = Buffer.alloc(HEADER);
  private scratch = Buffer.allocUnsafe(1 << 16);
  private truncatedBytes = 0;

  constructor(opts: JournalOptions) {
    this.dir = opts.dir;
    this.fsyncMode = opts.fsync;
    this.maxSegmentBytes = opts.maxSegmentBytes ?? 64 * 1024 * 1024;
    this.onBackgroundError = opts.onBackgroundError ?? (() => {});
  }

  /**
   * Opens the journal at the committed cursor (kept by the caller, atomically with what it
   * derived from the records) and truncates a torn tail.
   */
  open(committed: Cursor | null): void {
    mkdirSync(this.dir, { recursive: true });
    if (committed) this.committed = { ...committed };
    const segments = this.segments();
    const last = segments.at(-1) ?? Math.max(1, this.committed.segment);
    if (this.committed.segment === 0) this.committed = { segment: segments[0] ?? last, offset: 0 };
    this.openSegment(last);
    this.truncatedBytes = this.repairTail();
  }

  /** Bytes dropped from a torn tail record when the journal was opened. */
  get repairedBytes(): number {
    return this.truncatedBytes;
  }

  /** Appends one record synchronously; on return it is in the OS (and on disk if fsync=always). */
  append(topic: string, payload: Buffer): Cursor {
    return this.appendAll([{ topic, payload }])[0]!;
  }

  /**
   * Appends records in order with one write per segment they fall in (group commit: what arrived
   * in one turn of the event loop costs one system call, not one each); on return they are all in
   * the OS (and on disk if fsync=always). Returns the position just after each record. Throws if
   * the write failed: then none of them counts as appended (a part already written before a
   * segment rotation is harmless — replaying a record is idempotent).
   */
  appendAll(records: readonly { topic: string; payload: Buffer }[]): Cursor[] {
    const ends: Cursor[] = [];
    let used = 0;
    for (const { topic, payload } of records) {
      const topicLen = Buffer.byteLength(topic);
      const size = HEADER + topicLen + payload.length;
      if (this.writeOffset + used > 0 && this.writeOffset + used + size > this.maxSegmentBytes) {
        this.writeOut(used);
        used = 0;
        this.rotate();
      }
      if (used + size > this.scratch.length) {
        const bigger = Buffer.allocUnsafe(Math.max(used + size, 2 * this.scratch.length));
        this.scratch.copy(bigger, 0, 0, used);
        this.scratch = bigger;
      }
      const b = this.scratch;
      b.writeUInt16BE(MAGIC, used);
      b.writeUInt16BE(topicLen, used + 2);
      b.writeUInt32BE(payload.length, used + 4);
      b.write(topic, used + HEADER, 'utf8');
      payload.copy(b, used + HEADER + topicLen);
      used += size;
      ends.push({ segment: this.writeSegment, offset: this.writeOffset + used });
    }
    this.writeOut(used);
    // a one-off large group does not keep its buffer
    if (this.scratch.length > SCRATCH_KEEP) this.scratch = Buffer.allocUnsafe(SCRATCH_KEEP);
    return ends;
  }

  /** Writes the first `n` bytes of the scratch buffer at the segment's end. */
  private writeOut(n: number): void {
    if (n === 0) return;
    let done = 0;
    while (done < n) done += writeSync(this.fd, this.scratch, done, n - done, this.writeOffset + done);
    this.writeOffset += n;
    if (this.fsyncMode === 'always') fsyncSync(this.fd);
    else this.dirty = true;
  }

  /**
   * The 'interval' policy's fsync (on a timer): on libuv's thread pool, so the event loop — the
   * broker's acknowledgements, the warning engine — never waits for the disk. One at a time per
   * segment; what is appended meanwhile goes with the next one.
   */
  syncInBackground(): void {
    if (!this.dirty || this.fd < 0 || this.syncing.has(this.fd)) return;
    this.dirty = false;
    const fd = this.fd;
    this.fsyncInBackground(fd, () => {
      if (fd === this.fd) this.dirty = true; // try again on the next tick of the timer
    });
  }

  /** fsync on the thread pool; the fd stays open until every fsync on it has ended. */
  private fsyncInBackground(fd: number, onError?: () => void): void {
    this.syncing.set(fd, (this.syncing.get(fd) ?? 0) + 1);
    fsync(fd, (err) => {
      const left = (this.syncing.get(fd) ?? 1) - 1;
      if (left > 0) this.syncing.set(fd, left);
      else {
        this.syncing.delete(fd);
        if (this.closing.delete(fd)) closeSync(fd);
      }
      if (err) {
        onError?.();
        this.onBackgroundError(err);
      }
    });
  }

  /** Closes a segment's fd, or leaves that to the last background fsync still running on it. */
  private closeFd(fd: number): void {
    if (this.syncing.has(fd)) this.closing.add(fd);
    else closeSync(fd);
  }

  get head(): Cursor {
    return { segment: this.writeSegment, offset: this.writeOffset };
  }

  get committedCursor(): Cursor {
    return { ...this.committed };
  }

  /** Exactly `count` records from `from` (they must be in the journal): a batch read back. */
  readCount(from: Cursor, count: number): JournalRecord[] {
    const out: JournalRecord[] = [];
    let cursor = from;
    while (out.length < count) {
      const more = this.read(cursor, count - out.length);
      if (more.length === 0) throw new Error('journal ended before the records asked for');
      out.push(...more);
      cursor = more[more.length - 1]!.end;
    }
    return out;
  }

  /** Reads records from `from` up to `maxRecords` or the current head. */
  read(from: Cursor, maxRecords: number): JournalRecord[] {
    const out: JournalRecord[] = [];
    let seg = from.segment;
    let off = from.offset;
    while (out.length < maxRecords && compareCursor({ segment: seg, offset: off }, this.head) < 0) {
      const path = this.segmentPath(seg);
      if (!existsSync(path)) {
        seg = this.nextSegmentAfter(seg);
        off = 0;
        continue;
      }
      const fd = openSync(path, 'r');
      try {
        const size = seg === this.writeSegment ? this.writeOffset : fstatSync(fd).size;
        if (off >= size) {
          if (seg === this.writeSegment) break;
          seg = this.nextSegmentAfter(seg);
          off = 0;
          continue;
        }
        const buf = Buffer.allocUnsafe(Math.min(size - off, 8 * 1024 * 1024));
        const got = readSync(fd, buf, 0, buf.length, off);
        let p = 0;
        while (out.length < maxRecords && p + HEADER <= got) {
          if (buf.readUInt16BE(p) !== MAGIC) throw new Error(`journal segment ${seg} corrupt at ${off + p}`);
          const topicLen = buf.readUInt16BE(p + 2);
          const payloadLen = buf.readUInt32BE(p + 4);
          const len = HEADER + topicLen + payloadLen;
          if (p + len > got) {
            if (len > buf.length)
              throw new Error(`journal record at ${seg}:${off + p} larger than read buffer`);
            break;
          }
          const topic = buf.toString('utf8', p + HEADER, p + HEADER + topicLen);
          const payload = Buffer.from(buf.subarray(p + HEADER + topicLen, p + len));
          p += len;
          out.push({ topic, payload, end: { segment: seg, offset: off + p } });
        }
        if (p === 0 && out.length < maxRecords) throw new Error(`journal segment ${seg} truncated at ${off}`);
        off += p;
      } finally {
        closeSync(fd);
      }
    }
    return out;
  }

  /** Marks everything up to `cursor` as stored (the caller persisted it); deletes stored segments. */
  release(cursor: Cursor): void {
    if (compareCursor(cursor, this.committed) <= 0) return;
    this.committed = { ...cursor };
    // deleted on the thread pool: unlinking a 64 MB file can take the disk a while
    for (const seg of this.segments()) {
      if (seg >= cursor.segment) break;
      this.deleting.add(seg);
      unlink(this.segmentPath(seg), (err) => {
        this.deleting.delete(seg);
        if (err && (err as NodeJS.ErrnoException).code !== 'ENOENT') this.onBackgroundError(err);
      });
    }
  }

  /** Bytes on disk not yet committed (approximate across segments). */
  pendingBytes(): number {
    let total = 0;
    for (const seg of this.segments()) {
      if (seg < this.committed.segment) continue;
      const size = seg === this.writeSegment ? this.writeOffset : this.sizeOf(seg);
      total += seg === this.committed.segment ? Math.max(0, size - this.committed.offset) : size;
    }
    return total;
  }

  close(): void {
    if (this.fd >= 0) {
      fsyncSync(this.fd);
      this.closeFd(this.fd);
      this.fd = -1;
    }
  }

  /** The full segment is synced and closed in the background; appends go on in a new one. */
  private rotate(): void {
    const old = this.fd;
    if (this.fsyncMode === 'never') closeSync(old);
    else {
      this.fsyncInBackground(old);
      this.closeFd(old);
    }
    this.dirty = false;
    this.openSegment(this.writeSegment + 1);
  }

  private openSegment(seg: number): void {
    this.writeSegment = seg;
    this.fd = openSync(this.segmentPath(seg), existsSync(this.segmentPath(seg)) ? 'r+' : 'w+');
    this.writeOffset = fstatSync(this.fd).size;
  }

  /** Walks the write segment from its start and cuts off an incomplete trailing record. */
  private repairTail(): number {
    const size = this.writeOffset;
    let off = 0;
    const header = this.header;
    while (off + HEADER <= size) {
      readSync(this.fd, header, 0, HEADER, off);
      if (header.readUInt16BE(0) !== MAGIC) break;
      const len = HEADER + header.readUInt16BE(2) + header.readUInt32BE(4);
      if (off + len > size) break;
      off += len;
    }
    if (off < size) {
      ftruncateSync(this.fd, off);
      this.writeOffset = off;
    }
    return size - off;
  }

  /** Segments on disk, oldest first (not those being deleted). */
  private segments(): number[] {
    return readdirSync(this.dir)
      .map((f) => SEGMENT_RE.exec(f)?.[1])
      .filter((s): s is string => s !== undefined)
      .map(Number)
      .filter((seg) => !this.deleting.has(seg))
      .sort((a, b) => a - b);
  }

  private nextSegmentAfter(seg: number): number {
    return this.segments().find((s) => s > seg) ?? this.writeSegment;
  }

  private sizeOf(seg: number): number {
    const fd = openSync(this.segmentPath(seg), 'r');
    try {
      return fstatSync(fd).size;
    } finally {
      closeSync(fd);
    }
  }

  private segmentPath(seg: number): string {
    return join(this.dir, `${String(seg).padStart(12, '0')}.jrnl`);
  }
}
