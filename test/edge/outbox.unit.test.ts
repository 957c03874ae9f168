import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type NewMessage, OutboxStore } from '../../edge/outbox/store.js';

const msg = (seq: number, over: Partial<NewMessage> = {}): NewMessage => ({
  machine: 'M1',
  boot: 'b1',
  seq,
  kind: 'telemetry',
  topic: 'sawbrain/v1/t/M1/telemetry',
  retain: false,
  payload: JSON.stringify({ seq, pad: 'x'.repeat(900) }),
  samples: 10,
  created: 1000 + seq,
  ...over,
});

describe('disk outbox (SQLite)', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sawbrain-outbox-'));
    file = join(dir, 'outbox.sqlite');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const open = (maxBytes = 1_000_000, maxAgeMs = 60_000) => {
    const s = new OutboxStore(file, { maxBytes, maxAgeMs, synchronous: 'normal' });
    s.open();
    return s;
  };

  it('keeps messages until removed, across a reopen, with their counters', () => {
    const s = open();
    const ids = [0, 1, 2].map((q) => s.enqueue(msg(q), new Set()).id);
    s.remove(ids[0]!);
    s.close();
    const again = open();
    expect(again.depth).toBe(2);
    expect(again.page(0, Number.MAX_SAFE_INTEGER, 10).map((r) => r.seq)).toEqual([1, 2]);
    expect(again.boots()).toEqual([
      { machine: 'M1', boot: 'b1', enqueued: 3, samples: 30, lastSeq: 2, dropped: 0, droppedSamples: 0 },
    ]);
    again.close();
  });

  it('drops the oldest rows not in flight when full, and counts them per boot', () => {
    const s = open(10_000); // ~10 rows of ~1 kB
    const first = s.enqueue(msg(0), new Set()).id;
    let dropped = 0;
    for (let q = 1; q < 30; q++) dropped += s.enqueue(msg(q), new Set([first])).dropped?.messages ?? 0;
    expect(s.sizeBytes).toBeLessThanOrEqual(10_000);
    const left = s.page(0, Number.MAX_SAFE_INTEGER, 100).map((r) => r.seq);
    expect(left[0]).toBe(0); // in flight: never dropped
    expect(left.slice(1)).toEqual([...Array(left.length - 1).keys()].map((i) => 30 - (left.length - 1) + i));
    expect(s.boots()[0]).toMatchObject({ enqueued: 30, dropped, droppedSamples: dropped * 10 });
    expect(dropped).toBe(30 - left.length);
    s.close();
  });

  it('drops rows older than maxAgeMs on a sweep', () => {
    const s = open(1_000_000, 500);
    for (let q = 0; q < 10; q++) s.enqueue(msg(q, { created: q * 100 }), new Set());
    const report = s.sweep(1000, new Set());
    expect(report).toEqual({ messages: 5, samples: 50, reason: 'age' });
    expect(s.page(0, Number.MAX_SAFE_INTEGER, 100).map((r) => r.seq)).toEqual([5, 6, 7, 8, 9]);
    expect(s.oldestCreated()).toBe(500);
    s.close();
  });

  it('pages a backlog by id range', () => {
    const s = open();
    const ids = [0, 1, 2, 3, 4].map((q) => s.enqueue(msg(q, { retain: q === 0 }), new Set()).id);
    expect(s.maxId()).toBe(ids[4]);
    expect(s.countUpTo(ids[2]!)).toBe(3);
    const page = s.page(ids[0]!, ids[3]!, 2);
    expect(page.map((r) => r.seq)).toEqual([1, 2]);
    expect(s.page(0, ids[0]!, 10)[0]!.retain).toBe(true);
    s.close();
  });
});
