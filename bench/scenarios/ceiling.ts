import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TELEMETRY_VARIABLE_NAMES } from '../../services/contracts/index.js';
import { silentLogger } from '../../services/core/logger.js';
import type { Point } from '../../services/core/ports.js';
import { SqliteStore } from '../../services/stores/index.js';
import { fmt, progress } from '../lib/common.js';
import { SAMPLE_INTERVAL_MS, sampleFieldsLine, sampleValue } from '../lib/telemetry.js';

/**
 * The store's own ceiling: batched line-protocol writes straight to InfluxDB over HTTP (no
 * SawBrain code on the path), and batched writes straight into the embedded SQLite store —
 * the same point shape ingest writes (one telemetry sample = one point with 17 fields).
 */
export interface CeilingResult {
  points: number;
  seconds: number;
  pointsPerSec: number;
  fieldsPerSec: number;
  writers: number;
}

const FIELDS = TELEMETRY_VARIABLE_NAMES.length;

/**
 * Lines of the very points end to end stores (bench/lib/telemetry.ts): sample `i` of machine
 * `m` of `machines`, tags in the order SawBrain's line protocol writes them.
 */
function lines(batch: number, offset: number, machines: number, t0: number): string {
  const out: string[] = new Array(batch);
  for (let j = 0; j < batch; j++) {
    const g = offset + j;
    const m = g % machines;
    const i = Math.floor(g / machines);
    const id = `BENCH-${String(m).padStart(5, '0')}`;
    out[j] = `telemetry,machine=${id},tenant=bench${sampleFieldsLine(i, m)} ${t0 + i * SAMPLE_INTERVAL_MS}`;
  }
  return out.join('\n');
}

/** Writes `total` points in batches of `batch` with `writers` concurrent HTTP writers. */
export async function influxCeiling(
  url: string,
  opts: { total: number; batch: number; writers: number; machines: number; t0: number },
): Promise<CeilingResult> {
  const db = 'sawbrain_bench_ceiling';
  await fetch(`${url}/query`, { method: 'POST', body: new URLSearchParams({ q: `CREATE DATABASE ${db}` }) });
  // serialise up front: the ceiling is the server's, not our string building
  const bodies: string[] = [];
  for (let off = 0; off < opts.total; off += opts.batch)
    bodies.push(lines(opts.batch, off, opts.machines, opts.t0));
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: opts.writers }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        const res = await fetch(`${url}/write?db=${db}&precision=ms`, { method: 'POST', body });
        if (res.status !== 204) throw new Error(`influx write ${res.status}: ${await res.text()}`);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const points = bodies.length * opts.batch;
  return {
    points,
    seconds,
    pointsPerSec: points / seconds,
    fieldsPerSec: (points * FIELDS) / seconds,
    writers: opts.writers,
  };
}

export async function sqliteCeiling(opts: {
  total: number;
  batch: number;
  machines: number;
  t0: number;
}): Promise<CeilingResult> {
  const dir = mkdtempSync(join(tmpdir(), 'sawbrain-bench-sqlite-'));
  const store = new SqliteStore({ dir, logger: silentLogger() });
  await store.start();
  const batches: Point[][] = [];
  for (let off = 0; off < opts.total; off += opts.batch) {
    const batch: Point[] = [];
    for (let j = 0; j < opts.batch; j++) {
      const i = off + j;
      const m = i % opts.machines;
      const n = Math.floor(i / opts.machines);
      const fields: Record<string, number> = {};
      for (let k = 0; k < FIELDS; k++) fields[TELEMETRY_VARIABLE_NAMES[k]!] = sampleValue(n, k, m);
      batch.push({
        db: 'operations',
        measurement: 'telemetry',
        tags: { tenant: 'bench', machine: `BENCH-${String(m).padStart(5, '0')}` },
        fields,
        ts: opts.t0 + n * SAMPLE_INTERVAL_MS,
      });
    }
    batches.push(batch);
  }
  const start = performance.now();
  for (const b of batches) await store.write(b);
  const seconds = (performance.now() - start) / 1000;
  await store.stop();
  rmSync(dir, { recursive: true, force: true });
  const points = batches.length * opts.batch;
  return {
    points,
    seconds,
    pointsPerSec: points / seconds,
    fieldsPerSec: (points * FIELDS) / seconds,
    writers: 1,
  };
}

/**
 * The ceilings, written with the data of end to end (`machines` machines, the same values):
 * SQLite once, InfluxDB with 1 and 2 writers, the best kept.
 */
export async function runCeiling(
  influxUrl: string | null,
  opts: { quick: boolean; t0: number; machines: number; sqlite?: boolean },
) {
  const { quick, t0, machines } = opts;
  const total = quick ? 100_000 : 400_000;
  const out: { influx?: CeilingResult; sqlite?: CeilingResult } = {};
  if (opts.sqlite !== false) {
    out.sqlite = await sqliteCeiling({ total, batch: 5000, machines, t0 });
    progress('ceiling', `sqlite ${fmt(out.sqlite.pointsPerSec)} points/s`);
  }
  if (influxUrl) {
    let best: CeilingResult | undefined;
    for (const writers of [1, 2]) {
      const r = await influxCeiling(influxUrl, {
        total,
        batch: 5000,
        writers,
        machines,
        t0: t0 + writers * 1e9,
      });
      progress('ceiling', `influx ${writers} writer(s): ${fmt(r.pointsPerSec)} points/s`);
      if (!best || r.pointsPerSec > best.pointsPerSec) best = r;
    }
    out.influx = best!;
  }
  return out;
}
