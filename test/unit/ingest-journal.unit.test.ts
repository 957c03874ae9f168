import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal } from '../../services/ingest/journal.js';
import { RecordQueue } from '../../services/ingest/record-queue.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sawbrain-journal-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('ingest journal', () => {
  it('reads back every record in order, across segments', () => {
    const dir = tempDir();
    const j = new Journal({ dir, fsync: 'never', maxSegmentBytes: 4096 });
    j.open(null);
    const start = j.committedCursor;
    for (let i = 0; i < 1000; i++)
      j.append(`t/${i}`, Buffer.from(JSON.stringify({ i, pad: 'x'.repeat(i % 50) })));
    expect(readdirSync(dir).filter((f) => f.endsWith('.jrnl')).length).toBeGreaterThan(5);
    const all = [];
    let cursor = start;
    for (;;) {
      const batch = j.read(cursor, 77);
      if (batch.length === 0) break;
      all.push(...batch);
      cursor = batch[batch.length - 1]!.end;
    }
    expect(all.map((r) => r.topic)).toEqual(Array.from({ length: 1000 }, (_, i) => `t/${i}`));
    expect(JSON.parse(all[999]!.payload.toString()).i).toBe(999);
    j.close();
  });

  it("writes a group of records in one call, rotating segments inside it, with each record's end", () => {
    const dir = tempDir();
    const j = new Journal({ dir, fsync: 'never', maxSegmentBytes: 1000 });
    j.open(null);
    const start = j.committedCursor;
    j.append('t/first', Buffer.from('a'));
    // 30 records of 8 + 4 + 100 bytes: about 9 per segment, so the group spans four segments
    const group = Array.from({ length: 30 }, (_, i) => ({
      topic: `t/${String(i).padStart(2, '0')}`,
      payload: Buffer.from(String(i).repeat(100).slice(0, 100)),
    }));
    const ends = j.appendAll(group);
    expect(ends).toHaveLength(30);
    expect(new Set(ends.map((e) => e.segment)).size).toBeGreaterThanOrEqual(4);
    expect(j.head).toEqual(ends[29]);
    const back = j.read(start, 100);
    expect(back.map((r) => r.topic)).toEqual(['t/first', ...group.map((g) => g.topic)]);
    expect(back.slice(1).map((r) => r.payload.toString())).toEqual(group.map((g) => g.payload.toString()));
    expect(back.slice(1).map((r) => r.end)).toEqual(ends);
    // a group larger than the kept buffer, then a single record: still in order
    const big = Array.from({ length: 3 }, (_, i) => ({
      topic: `big/${i}`,
      payload: Buffer.alloc(700_000, 65 + i),
    }));
    j.appendAll(big);
    j.append('t/last', Buffer.from('z'));
    const tail = j.read(ends[29]!, 10);
    expect(tail.map((r) => [r.topic, r.payload.length])).toEqual([
      ['big/0', 700_000],
      ['big/1', 700_000],
      ['big/2', 700_000],
      ['t/last', 1],
    ]);
    expect(tail[2]!.payload.every((b) => b === 67)).toBe(true);
    j.close();
    expect(() => j.appendAll(group)).toThrow(); // closed: the write fails and nothing is appended
  });

  it('fsyncs in the background, also while segments rotate under it, and loses nothing', async () => {
    const dir = tempDir();
    const errors: Error[] = [];
    const j = new Journal({
      dir,
      fsync: 'interval',
      maxSegmentBytes: 2048,
      onBackgroundError: (e) => errors.push(e),
    });
    j.open(null);
    const start = j.committedCursor;
    for (let i = 0; i < 400; i++) {
      j.append(`t/${i}`, Buffer.from('y'.repeat(100)));
      // a sync is started on the current segment, then appends rotate past it
      if (i % 7 === 0) j.syncInBackground();
      if (i % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    j.syncInBackground();
    await new Promise((r) => setTimeout(r, 50));
    expect(errors).toEqual([]);
    expect(j.read(start, 1000).length).toBe(400);
    j.close();
    // reopened from disk: every record is there
    const again = new Journal({ dir, fsync: 'interval', maxSegmentBytes: 2048 });
    again.open(null);
    expect(again.read(again.committedCursor, 1000).length).toBe(400);
    again.close();
  });

  it('resumes after the committed cursor on reopen and deletes released segments', async () => {
    const dir = tempDir();
    const j = new Journal({ dir, fsync: 'always', maxSegmentBytes: 2048 });
    j.open(null);
    const ends = [];
    for (let i = 0; i < 200; i++) ends.push(j.append('t', Buffer.from(String(i).padStart(20, '0'))));
    j.release(ends[149]!);
    const committed = j.committedCursor;
    j.close();
    // released segments are deleted in the background: all those before the committed one go
    const segs = () => readdirSync(dir).map((f) => Number.parseInt(f, 10));
    for (let i = 0; i < 100 && segs().some((s) => s < committed.segment); i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(committed.segment).toBeGreaterThan(0);
    expect(Math.min(...segs())).toBe(committed.segment);
    const segmentsBefore = readdirSync(dir).length;
    const k = new Journal({ dir, fsync: 'never', maxSegmentBytes: 2048 });
    k.open(committed);
    const rest = k.read(committed, 1000);
    expect(rest.map((r) => Number(r.payload.toString()))).toEqual(
      Array.from({ length: 50 }, (_, i) => 150 + i),
    );
    expect(segmentsBefore).toBeLessThan((200 * 36) / 2048 + 1);
    k.close();
  });

  it('truncates a torn tail record left by a crash', () => {
    const dir = tempDir();
    const j = new Journal({ dir, fsync: 'never' });
    j.open(null);
    j.append('a', Buffer.from('one'));
    j.append('b', Buffer.from('two'));
    j.close();
    const seg = readdirSync(dir).find((f) => f.endsWith('.jrnl'))!;
    appendFileSync(join(dir, seg), Buffer.from([0x53, 0x42, 0x00, 0x01, 0x00, 0x00, 0x10])); // half a header
    const k = new Journal({ dir, fsync: 'never' });
    k.open(null);
    expect(k.repairedBytes).toBe(7);
    const recs = k.read(k.committedCursor, 10);
    expect(recs.map((r) => r.payload.toString())).toEqual(['one', 'two']);
    k.append('c', Buffer.from('three'));
    expect(k.read(recs[1]!.end, 10).map((r) => r.payload.toString())).toEqual(['three']);
    k.close();
  });

  it('queues records in memory up to its budget, reads the rest back from disk in order, then returns to memory', () => {
    const dir = tempDir();
    const j = new Journal({ dir, fsync: 'never', maxSegmentBytes: 4096 });
    j.open(null);
    const q = new RecordQueue(j, 2_000);
    q.startFrom(j.committedCursor);
    expect(q.waiting).toBe(false);
    const append = (i: number) => {
      const topic = `t/${i}`;
      const payload = Buffer.from(JSON.stringify({ i, pad: 'x'.repeat(80) }));
      const before = j.head;
      const end = j.append(topic, payload);
      q.add(topic, payload, before, end);
    };
    // ~100 bytes each: the first ~20 fit in memory, the other 80 stay on disk only
    for (let i = 0; i < 100; i++) append(i);
    expect(q.fromDisk).toBe(true);
    const taken: string[] = [];
    for (let r = q.take(7); r.length > 0; r = q.take(7)) taken.push(...r.map((x) => x.topic));
    expect(taken).toEqual(Array.from({ length: 100 }, (_, i) => `t/${i}`));
    expect(q.waiting).toBe(false);
    expect(q.fromDisk).toBe(false);
    // caught up: new records go to memory again
    append(100);
    expect(q.fromDisk).toBe(false);
    expect(q.take(10).map((x) => x.topic)).toEqual(['t/100']);
    j.close();
  });

  it('reads a backlog found at start-up from disk first', () => {
    const dir = tempDir();
    const j = new Journal({ dir, fsync: 'never', maxSegmentBytes: 4096 });
    j.open(null);
    const start = j.committedCursor;
    for (let i = 0; i < 30; i++) j.append(`t/${i}`, Buffer.from(`{"i":${i}}`));
    const q = new RecordQueue(j, 1_000_000);
    q.startFrom(start);
    expect(q.waiting && q.fromDisk).toBe(true);
    expect(q.take(100).map((x) => x.topic)).toEqual(Array.from({ length: 30 }, (_, i) => `t/${i}`));
    j.close();
  });
});
