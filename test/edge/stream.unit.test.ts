import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEdgeMetrics } from '../../edge/metrics.js';
import { OutboxStore } from '../../edge/outbox/store.js';
import { MachineStream } from '../../edge/outbox/stream.js';
import { cleanSample } from '../../edge/samples.js';
import { validateRaw } from '../../services/contracts/index.js';
import { silentLogger } from '../../services/core/logger.js';
import { createMetrics } from '../../services/core/metrics.js';

const T = Date.UTC(2026, 5, 1);

describe('machine stream: envelope, validation, numbering', () => {
  let dir: string;
  let outbox: OutboxStore;
  let notified = 0;
  let stream: MachineStream;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sawbrain-stream-'));
    outbox = new OutboxStore(join(dir, 'o.sqlite'), {
      maxBytes: 10_000_000,
      maxAgeMs: 60_000,
      synchronous: 'normal',
    });
    outbox.open();
    notified = 0;
    stream = new MachineStream({
      tenant: 'chenlong',
      machineId: 'M1',
      bootId: 'boot-1',
      outbox,
      uplink: { notify: () => notified++, inFlight: new Set() },
      metrics: createEdgeMetrics(createMetrics(false)),
      logger: silentLogger(),
      now: () => T,
      maxPacketBytes: 4096,
    });
  });
  afterEach(() => {
    outbox.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const rows = () => outbox.page(0, Number.MAX_SAFE_INTEGER, 1000);

  it('numbers valid messages +1 and stores them ready to publish', () => {
    expect(stream.emit('state', { ts: T, state: 'idle', reason: 'x' })).toBe(true);
    expect(stream.emit('telemetry', { ts: T, samples: [{ ts: T, bladeSpeed: 60 }] })).toBe(true);
    const [a, b] = rows();
    expect([a!.seq, b!.seq]).toEqual([0, 1]);
    expect(a).toMatchObject({ topic: 'sawbrain/v1/chenlong/M1/state', retain: true, kind: 'state' });
    expect(b).toMatchObject({ retain: false, samples: 1 });
    expect(validateRaw('telemetry', b!.payload).ok).toBe(true);
    expect(JSON.parse(b!.payload)).toMatchObject({ v: 1, bootId: 'boot-1', seq: 1 });
    expect(notified).toBe(2);
  });

  it('never sends, nor numbers, a message that breaks the standard', () => {
    expect(stream.emit('state', { ts: T, state: 'exploding' })).toBe(false);
    expect(stream.emit('telemetry', { ts: T, samples: [{ ts: T, bladeSpeed: 9000 }] })).toBe(false);
    expect(rows()).toEqual([]);
    expect(stream.nextSeq).toBe(0);
  });

  it('splits a telemetry batch too big for the broker', () => {
    const samples = Array.from({ length: 200 }, (_, i) => ({
      ts: T + i,
      bladeSpeed: 60,
      downFeed: 40,
      power: 2,
    }));
    expect(stream.emit('telemetry', { ts: T + 199, samples })).toBe(true);
    const out = rows();
    expect(out.length).toBeGreaterThan(1);
    expect(out.every((r) => Buffer.byteLength(r.payload) <= 4096)).toBe(true);
    expect(out.reduce((s, r) => s + r.samples, 0)).toBe(200);
    expect(out.map((r) => r.seq)).toEqual(out.map((_, i) => i));
  });
});

describe('sample cleaning', () => {
  it('rounds scaling noise, keeps integer time, and sets implausible values aside', () => {
    const rejected: string[] = [];
    const s = cleanSample(
      { ts: T + 0.4, bladeSpeed: 65.30000000000001, downFeed: -3, vibration: Number.NaN },
      (v) => rejected.push(v),
    );
    expect(s).toEqual({ ts: T, bladeSpeed: 65.3 });
    expect(rejected).toEqual(['downFeed', 'vibration']);
    expect(cleanSample({ ts: T, downFeed: -1 }, () => {})).toBeNull();
  });
});
