import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TELEMETRY_VARIABLE_NAMES } from '../../services/contracts/index.js';
import { silentLogger } from '../../services/core/logger.js';
import type { Point } from '../../services/core/ports.js';
import { SqliteStore } from '../../services/stores/index.js';
import { fmt, progress } from '../lib/common.js';

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

function lines(batch: number, offset: number, machines: number, t0: number): string {
  const out: string[] = new Array(batch);
  for (let j = 0; j < batch; j++) {
    const i = offset + j;
    const m = i % machines;
    let fields = '';
    for (let k = 0; k < FIELDS; k++) {
      fields += `${k ? ',' : ''}${TELEMETRY_VARIABLE_NAMES[k]}=${((i * 31 + k * 7) % 90) + 1.5}`;
    }
    out[j] = `telemetry,machine=BENCH-${m},tenant=bench ${fields} ${t0 + Math.floor(i / machines) * 10}`;
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
      const fields: Record<string, number> = {};
      for (let k = 0; k < FIELDS; k++) fields[TELEMETRY_VARIABLE_NAMES[k]!] = ((i * 31 + k * 7) % 90) + 1.5;
      batch.push({
        db: 'operations',
        measurement: 'telemetry',
        tags: { tenant: 'bench', machine: `BENCH-${i % opts.machines}` },
        fields,
        ts: opts.t0 + Math.floor(i / opts.machines) * 10,
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

export async function runCeiling(influxUrl: string | null, quick: boolean, t0: number) {
  const total = quick ? 100_000 : 400_000;
  const out: { influx?: CeilingResult; sqlite: CeilingResult } = {
    sqlite: await sqliteCeiling({ total, batch: 5000, machines: 100, t0 }),
  };
  progress('ceiling', `sqlite ${fmt(out.sqlite.pointsPerSec)} points/s`);
  if (influxUrl) {
    let best: CeilingResult | undefined;
    for (const writers of [1, 2]) {
      const r = await influxCeiling(influxUrl, {
        total,
        batch: 5000,
        writers,
        machines: 100,
        t0: t0 + writers * 1e9,
      });
      progress('ceiling', `influx ${writers} writer(s): ${fmt(r.pointsPerSec)} points/s`);
      if (!best || r.pointsPerSec > best.pointsPerSec) best = r;
    }
    out.influx = best!;
  }
  return out;
}
