import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { topicFor } from '../../services/contracts/index.js';
import { loadConfig } from '../../services/core/config.js';
import { silentLogger } from '../../services/core/logger.js';
import { createMetrics } from '../../services/core/metrics.js';
import type { Point, TelemetryStore } from '../../services/core/ports.js';
import { type Accept, IngestService, type MessageSource } from '../../services/ingest/index.js';
import { pointBatch, SqliteStore } from '../../services/stores/index.js';
import { telemetryMessage } from '../helpers/messages.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The real SQLite store, with its writes recorded and held until released (a slow store). */
class GatedStore implements TelemetryStore {
  readonly kind = 'sqlite' as const;
  readonly sizes: number[] = [];
  private gate: Promise<void> = Promise.resolve();
  private open: () => void = () => {};
  constructor(private readonly inner: SqliteStore) {}
  hold(): void {
    this.gate = new Promise((resolve) => {
      this.open = resolve;
    });
  }
  release(): void {
    this.open();
  }
  start = () => this.inner.start();
  stop = () => this.inner.stop();
  ping = () => this.inner.ping();
  query: TelemetryStore['query'] = (q) => this.inner.query(q);
  deleteBefore: TelemetryStore['deleteBefore'] = (d) => this.inner.deleteBefore(d);
  batch = () => pointBatch((points) => this.write(points));
  async write(points: readonly Point[]): Promise<void> {
    if (points.some((p) => p.measurement === 'telemetry')) this.sizes.push(points.length);
    await this.gate;
    await this.inner.write(points);
  }
}

/** Ingest on the gated store, fed in-process; `send(seq)` accepts one 10-sample message. */
async function setup(opts: { defer?: () => boolean } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'sawbrain-batching-'));
  dirs.push(dataDir);
  const config = loadConfig(
    {},
    {
      roles: ['ingest'],
      dataDir,
      ingest: { batchMaxPoints: 500, writeConcurrency: 2, flushIntervalMs: 5 },
    },
  );
  const store = new GatedStore(new SqliteStore({ dir: join(dataDir, 'tsdb'), logger: silentLogger() }));
  await store.start();
  let accept: Accept = () => {};
  const source: MessageSource = {
    kind: 'in-process',
    start: async (a) => {
      accept = a;
    },
    stop: async () => {},
  };
  const ingest = new IngestService({
    config,
    store,
    logger: silentLogger(),
    metrics: createMetrics(false),
    source,
    ...(opts.defer ? { defer: opts.defer } : {}),
  });
  await ingest.start();
  const topic = topicFor('acme', 'SAW-1', 'telemetry');
  const t0 = Date.UTC(2026, 0, 1);
  const payloadOf = (seq: number) =>
    Buffer.from(JSON.stringify(telemetryMessage({ bootId: 'b1', seq, t0, n: 10 })));
  const send = (seq: number, done: (err?: Error) => void = () => {}) => accept(topic, payloadOf(seq), done);
  /** bytes in the journal's segment files */
  const journaled = () => {
    const jdir = join(dataDir, 'ingest', 'journal');
    return readdirSync(jdir).reduce((n, f) => n + statSync(join(jdir, f)).size, 0);
  };
  const count = async () => {
    const rows = await store.query({
      db: 'operations',
      measurement: 'telemetry',
      from: t0,
      to: t0 + 86_400_000,
      fields: ['bladeSpeed'],
      fn: 'count',
    });
    return rows[0]?.values.bladeSpeed;
  };
  const close = async () => {
    await ingest.stop();
    await store.stop();
  };
  return { store, ingest, send, payloadOf, journaled, topic, count, close };
}

describe('ingest batching', () => {
  it('writes within the flush interval when the store is idle, and in full batches while a write is out', async () => {
    const { store, ingest, send, count, close } = await setup();
    store.hold();
    send(0);
    await expect.poll(() => store.sizes.length).toBe(1); // idle store: the single message goes after the flush interval
    for (let seq = 1; seq <= 200; seq++) send(seq); // 2,000 samples arrive while it is out
    store.release();
    await ingest.drained();

    const [first, ...rest] = store.sizes;
    expect(first).toBe(10);
    expect(rest.reduce((a, b) => a + b, 0)).toBe(2000);
    // full batches (at most one record over the limit); only the last may be partial
    for (const size of rest.slice(0, -1)) expect(size).toBeGreaterThanOrEqual(500);
    for (const size of rest) expect(size).toBeLessThanOrEqual(510);
    expect(await count()).toBe(2010);
    expect(ingest.sequenceState('SAW-1')).toEqual({ bootId: 'b1', maxSeq: 200, missing: 0 });
    await close();
  });

  it('waits for a store write with both write slots taken without spinning on the event loop', async () => {
    const { store, ingest, send, count, close } = await setup();
    store.hold();
    send(0);
    await expect.poll(() => store.sizes.length).toBe(1);
    // two full batches take both write slots and records are still queued behind them
    for (let seq = 1; seq <= 200; seq++) send(seq);
    await expect.poll(() => store.sizes.length).toBe(2);
    // a loop that re-checks every turn keeps the event loop busy all the time (utilisation ≈ 1);
    // one that waits for the write (or its conversion timer) leaves it idle nearly all the time
    const before = performance.eventLoopUtilization();
    await new Promise((r) => setTimeout(r, 300));
    const busy = performance.eventLoopUtilization(before).utilization;
    expect(busy).toBeLessThan(0.5);
    store.release();
    await ingest.drained();
    expect(await count()).toBe(2010);
    await close();
  });

  it('journals the messages of one turn of the event loop with one write and acknowledges them after it', async () => {
    const { ingest, send, payloadOf, journaled, topic, count, close } = await setup();
    const before = journaled();
    const groupBytes = Array.from(
      { length: 50 },
      (_, seq) => 8 + topic.length + payloadOf(seq).length,
    ).reduce((a, b) => a + b, 0);
    const acks: { seq: number; err?: Error; onDisk: number }[] = [];
    for (let seq = 0; seq < 50; seq++)
      send(seq, (err) => acks.push({ seq, ...(err ? { err } : {}), onDisk: journaled() }));
    // nothing is acknowledged in the turn that received it, nor written yet
    expect(acks).toEqual([]);
    expect(journaled()).toBe(before);
    await new Promise((r) => setImmediate(r));
    // at the end of the turn: all 50 on disk, then all 50 acknowledged in order
    expect(acks.map((a) => a.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(acks.every((a) => a.err === undefined && a.onDisk === before + groupBytes)).toBe(true);
    await ingest.drained();
    expect(await count()).toBe(500);
    expect(ingest.stats().received).toBe(50);
    await close();
  });

  it('gives way to more urgent work in the process, but never stops for it', async () => {
    let asked = 0;
    // the warning engine is behind all the time: ingest still stores everything, in order
    const { ingest, send, count, close } = await setup({
      defer: () => {
        asked++;
        return true;
      },
    });
    for (let seq = 0; seq < 300; seq++) send(seq);
    await ingest.drained();
    expect(await count()).toBe(3000);
    expect(ingest.sequenceState('SAW-1')).toEqual({ bootId: 'b1', maxSeq: 299, missing: 0 });
    expect(asked).toBeGreaterThan(0);
    await close();
  });
});
