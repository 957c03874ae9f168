import { describe, expect, it } from 'vitest';
import { SequenceTracker } from '../../services/ingest/sequence.js';

describe('(bootId, seq) tracking', () => {
  it('is silent for an unbroken sequence', () => {
    const t = new SequenceTracker();
    for (let s = 0; s < 10_000; s++) expect(t.observe('m1', 'b1', s)).toEqual([]);
    expect(t.state('m1')).toEqual({ bootId: 'b1', maxSeq: 9999, missing: 0 });
  });

  it('reports gaps, late arrivals that fill them, and duplicates', () => {
    const t = new SequenceTracker();
    t.observe('m1', 'b1', 0);
    t.observe('m1', 'b1', 1);
    expect(t.observe('m1', 'b1', 5)).toEqual([
      { type: 'gap', machine: 'm1', bootId: 'b1', fromSeq: 2, toSeq: 4, count: 3 },
    ]);
    expect(t.observe('m1', 'b1', 3)[0]?.type).toBe('late');
    expect(t.state('m1')?.missing).toBe(2);
    expect(t.observe('m1', 'b1', 3)[0]?.type).toBe('duplicate');
    expect(t.observe('m1', 'b1', 5)[0]?.type).toBe('duplicate');
    expect(t.observe('m1', 'b1', 6)).toEqual([]);
  });

  it('treats a new bootId as a reboot and keeps machines apart', () => {
    const t = new SequenceTracker();
    t.observe('m1', 'b1', 0);
    t.observe('m2', 'x', 100);
    expect(t.observe('m1', 'b2', 0)).toEqual([
      { type: 'reboot', machine: 'm1', bootId: 'b2', fromSeq: 0, toSeq: 0, count: 1 },
    ]);
    expect(t.observe('m2', 'x', 101)).toEqual([]);
  });

  it('tracks a previous boot whose backlog arrives interleaved with the new boot (gateway restart)', () => {
    const t = new SequenceTracker();
    for (let s = 0; s < 10; s++) t.observe('m1', 'old', s);
    expect(t.observe('m1', 'new', 0)).toEqual([
      { type: 'reboot', machine: 'm1', bootId: 'new', fromSeq: 0, toSeq: 0, count: 1 },
    ]);
    const events = [];
    for (let s = 1; s < 10; s++) {
      events.push(...t.observe('m1', 'old', 9 + s), ...t.observe('m1', 'new', s));
    }
    expect(events).toEqual([]);
    expect(t.state('m1')).toEqual({ bootId: 'new', maxSeq: 9, missing: 0 });
  });

  it('persists and restores: redelivered numbers count as duplicates, new ones continue', () => {
    const t = new SequenceTracker();
    for (let s = 0; s < 50; s++) t.observe('m1', 'b1', s);
    const dirty = t.takeDirty();
    expect(dirty).toEqual([{ machine: 'm1', bootId: 'b1', maxSeq: 49, missing: 0 }]);
    expect(t.takeDirty()).toEqual([]);
    const u = new SequenceTracker();
    u.restore(dirty);
    expect(u.observe('m1', 'b1', 49)[0]?.type).toBe('duplicate');
    expect(u.observe('m1', 'b1', 50)).toEqual([]);
  });
});
