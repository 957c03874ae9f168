import { type AnyMessage, parseTopic } from '../../services/contracts/index.js';
import { type Config, loadConfig } from '../../services/core/config.js';
import { silentLogger } from '../../services/core/logger.js';
import { createMetrics } from '../../services/core/metrics.js';
import type { Point, TelemetryStore } from '../../services/core/ports.js';
import { DatabasesService } from '../../services/databases/index.js';
import { messageToPoints } from '../../services/ingest/index.js';
import { loadSeeds, type Seeds } from '../../services/seeds/index.js';
import { demoFleetMachines, type FleetMachine, runOffline } from '../../services/simulator/index.js';

export const DAY = 86_400_000;
/** Monday 2026-01-05 00:00 UTC (08:00 in the plants' UTC+8) */
export const START = Date.UTC(2026, 0, 5);

export interface Scenario {
  seeds: Seeds;
  config: Config;
  machines: FleetMachine[];
  from: number;
  to: number;
  sampleIntervalMs: number;
}

/**
 * A simulated fleet for the consistency tests: every Zhejiang machine of the demo fleet (6, so
 * one region × anything bucket can reach 5) plus machines of other regions, `days` days.
 */
export function scenario(days: number, others = 2, sampleIntervalMs = 10_000): Scenario {
  const seeds = loadSeeds('seeds');
  const all = demoFleetMachines(seeds);
  const machines = [
    ...all.filter((m) => m.region === 'cn-zhejiang'),
    ...all.filter((m) => m.region !== 'cn-zhejiang').slice(0, others),
  ];
  const config = loadConfig(
    {},
    { dataDir: 'unused', databases: { snapshotEveryMinutes: 6 * 60, rollupIntervalMs: 3_600_000 } },
  );
  return { seeds, config, machines, from: START, to: START + days * DAY, sampleIntervalMs };
}

export interface ReplayResult {
  service: DatabasesService;
  messages: number;
  rawPoints: number;
  builtPoints: number;
  rollups: number;
  ms: number;
}

/**
 * Runs the simulated fleet offline (deterministic for the seed) and replays it, in publish
 * order, into the store the way the running system does: ingest's messageToPoints for the raw
 * operations data, and the databases service (accept + a rollup every simulated `rollupEveryMs`,
 * the final one when it stops). At `restartAt` (device time) the databases service is stopped
 * and a new one started on the same store, which must resume from its checkpoints.
 */
export async function replay(
  s: Scenario,
  store: TelemetryStore,
  o: {
    rollupEveryMs?: number;
    restartAt?: number;
    /** sees every raw point ingest stores (the independent side of a test's expectations) */
    onRaw?: (points: readonly Point[]) => void;
  } = {},
): Promise<ReplayResult> {
  const started = performance.now();
  const rollupEveryMs = o.rollupEveryMs ?? 6 * 3_600_000;
  const run = runOffline(s.machines, s.from, s.to, {
    seeds: s.seeds,
    seed: 11,
    sampleIntervalMs: s.sampleIntervalMs,
    samplesPerMessage: 12,
  });
  const newService = () =>
    new DatabasesService({
      config: s.config,
      seeds: s.seeds,
      logger: silentLogger(),
      metrics: createMetrics(false),
      store,
    });
  let service = newService();
  await service.start();
  let raw: Point[] = [];
  let rawPoints = 0;
  let builtPoints = 0;
  let rollups = 0;
  let restarted = false;
  let nextRollup = s.from + rollupEveryMs;
  const flushRaw = async () => {
    o.onRaw?.(raw);
    for (let i = 0; i < raw.length; i += 5000) await store.write(raw.slice(i, i + 5000));
    rawPoints += raw.length;
    raw = [];
  };
  const roll = async () => {
    await flushRaw();
    const res = await service.rollup(false);
    if (!res) throw new Error(`rollup failed: ${service.stats().lastError}`);
    rollups++;
  };
  const stop = async () => {
    await flushRaw();
    await service.stop();
    const st = service.stats();
    if (st.lastError) throw new Error(`final rollup failed: ${st.lastError}`);
    if (st.setAside > 0) throw new Error(`${st.setAside} messages set aside`);
    builtPoints += st.pointsWritten;
    rollups++;
  };
  for (const m of run.messages) {
    const address = parseTopic(m.topic)!;
    const bytes = Buffer.from(JSON.stringify(m.payload));
    if (o.restartAt !== undefined && !restarted && service.builder.horizon >= o.restartAt) {
      restarted = true;
      await stop();
      service = newService();
      await service.start();
    }
    // the simulator's payloads follow the standard (ingest's own tests check that); the service
    // validates every message itself and counts what it sets aside
    raw.push(...messageToPoints(address, { kind: m.kind, payload: m.payload } as AnyMessage));
    service.accept(m.topic, bytes);
    if (service.builder.horizon >= nextRollup) {
      nextRollup += rollupEveryMs;
      await roll();
    }
  }
  await stop();
  return {
    service,
    messages: run.messages.length,
    rawPoints,
    builtPoints,
    rollups,
    ms: performance.now() - started,
  };
}
