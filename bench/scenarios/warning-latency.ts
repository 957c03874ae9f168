import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MachineRegistry } from '../../services/registry/index.js';
import {
  cpuSecondsOf,
  fmt,
  type ProbeResult,
  percentile,
  progress,
  runProbe,
  runPublisher,
} from '../lib/common.js';
import { provisionBenchMachines } from '../lib/provision.js';
import { startSawbrainProcess } from '../lib/servers.js';

/**
 * Warning latency: SawBrain as `npm start` runs it (broker + ingest + analysis in one process,
 * its own process here, InfluxDB as the store) under K machines publishing telemetry at a given
 * rate (half the sustainable end-to-end rate), while P probe machines (bench/probe.ts) each
 * break a blade once, spread over the window. Figure: device timestamp of the stop sample →
 * arrival of the `blade-breakage` warning at the machine's own subscription, p50/p99/max.
 */
export interface WarningLatencyResult {
  roles: string;
  machines: number;
  probes: number;
  targetMsgPerSec: number;
  /** load actually published (the probes add about one message per second each) */
  loadMsgPerSec: number;
  loadSamplesPerSec: number;
  fired: number;
  received: number;
  missing: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  /** CPU the SawBrain process used during the run, in cores */
  sawbrainCores: number;
  targetP99Ms: number;
  met: boolean;
  /** per breakage: [ms since the probe started, latency ms or null] */
  timeline: [number | null, number | null][];
}

export const WARNING_P99_TARGET_MS = 250;

export async function runWarningLatency(opts: {
  influxUrl: string;
  machines: number;
  probes: number;
  /** telemetry messages per second of the load (all K machines together) */
  rate: number;
  durationMs: number;
  samplesPerMessage: number;
  t0: number;
  /** write a CPU profile of the SawBrain process into this directory */
  profileDir?: string;
}): Promise<WarningLatencyResult> {
  const dir = mkdtempSync(join(tmpdir(), 'sawbrain-bench-warn-'));
  const roles = 'broker,ingest,analysis';
  try {
    const load = await provisionBenchMachines(dir, opts.machines);
    const probes = await provisionBenchMachines(dir, opts.probes, 'PROBE');
    const registry = MachineRegistry.open(dir, { scrypt: { N: 1024, r: 8, p: 1 } });
    const check = await registry.addService('bench-check', ['ingest']);
    registry.close();
    const server = await startSawbrainProcess(
      dir,
      roles,
      check,
      { SAWBRAIN_INFLUX_URL: opts.influxUrl },
      opts.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`] : [],
    );
    try {
      // the load runs this long before the first breakage, so that the figure is the steady
      // state: a node that has just started under this load runs cold code and falls behind
      // for its first ~15 s (docs/benchmarks.md shows that start-up backlog)
      const warmupMs = 20_000;
      const cpu0 = cpuSecondsOf(server.pid);
      const t0 = Date.now();
      const probing: { result?: Promise<ProbeResult> } = {};
      const published = await runPublisher(
        {
          url: server.url,
          machines: load,
          mode: 'open',
          rate: opts.rate,
          durationMs: warmupMs + opts.durationMs + 1000,
          samplesPerMessage: opts.samplesPerMessage,
          t0: opts.t0,
        },
        () => {
          progress(
            'warning',
            `load at ${fmt(opts.rate)} msg/s; ${opts.probes} blade breakages over ${opts.durationMs / 1000} s`,
          );
          probing.result = runProbe({
            url: server.url,
            machines: probes,
            durationMs: opts.durationMs,
            warmupMs,
          });
        },
      );
      if (!probing.result) throw new Error('the probe did not start');
      const probe = await probing.result;
      const cores = (cpuSecondsOf(server.pid) - cpu0) / ((Date.now() - t0) / 1000);
      const sorted = [...probe.latencies].sort((a, b) => a - b);
      const p99 = percentile(sorted, 99);
      const result: WarningLatencyResult = {
        roles,
        machines: opts.machines,
        probes: opts.probes,
        targetMsgPerSec: opts.rate,
        loadMsgPerSec: published.published / (published.elapsedMs / 1000),
        loadSamplesPerSec: published.samples / (published.elapsedMs / 1000),
        fired: probe.fired,
        received: sorted.length,
        missing: probe.missing,
        p50Ms: percentile(sorted, 50),
        p99Ms: p99,
        maxMs: sorted.at(-1) ?? Number.NaN,
        meanMs: sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length),
        sawbrainCores: cores,
        targetP99Ms: WARNING_P99_TARGET_MS,
        met: probe.missing === 0 && sorted.length > 0 && p99 < WARNING_P99_TARGET_MS,
        timeline: probe.timeline,
      };
      progress(
        'warning',
        `${result.received}/${result.fired} warnings: p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, max ${result.maxMs} ms (load ${fmt(result.loadMsgPerSec)} msg/s)`,
      );
      return result;
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
