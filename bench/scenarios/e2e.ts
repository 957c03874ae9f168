import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningSystem, startSystem } from '../../services/app/system.js';
import { TELEMETRY_VARIABLE_NAMES } from '../../services/contracts/index.js';
import { loadConfig, type Role } from '../../services/core/config.js';
import { silentLogger } from '../../services/core/logger.js';
import { CpuSampler, childPid, fmt, progress, runPublisher, sleep } from '../lib/common.js';
import { provisionBenchMachines } from '../lib/provision.js';

/**
 * End to end: K publishing machines (a child process) → SawBrain's broker (auth + ACL) →
 * ingest (journal, validation, points) → store, SawBrain in this process with the roles broker
 * and ingest (the storage path; `analysis: true` adds the warning engine as `npm start` runs
 * it). Zero loss is checked by counting what was stored. First a saturation run finds the
 * capacity; then open-loop steps from half of it find the highest rate that is sustained (all
 * stored, backlog drained within 2 s of the end, publishers acknowledged ≥ 90 % of the rate).
 */
export interface E2eStep {
  targetMsgPerSec: number;
  /** messages acknowledged per second of the publishers' own run time */
  publishedMsgPerSec: number;
  sentSamples: number;
  storedSamples: number;
  loss: number;
  samplesPerSec: number;
  fieldsPerSec: number;
  drainMs: number;
  sustained: boolean;
  /** store writes during the step, and the points each carried on average */
  writes: number;
  pointsPerWrite: number;
  /** CPU in cores during the step: SawBrain (this process), InfluxDB, the load generator */
  cpu: Record<string, number>;
}

export interface E2eResult {
  store: string;
  roles: string[];
  machines: number;
  samplesPerMessage: number;
  saturation: E2eStep;
  steps: E2eStep[];
  sustainableSamplesPerSec: number;
  /**
   * CPU (cores) per 10,000 samples/s of each process, at the fastest sustained open-loop step:
   * where the two cores go. On one machine the ratio to the ceiling cannot exceed about
   * influxd / (sawbrain + influxd + publisher).
   */
  coresPer10k: Record<string, number>;
}

const FIELDS = TELEMETRY_VARIABLE_NAMES.length;

async function storedSamples(sys: RunningSystem, from: number): Promise<number> {
  const rows = await sys.store!.query({
    db: 'operations',
    measurement: 'telemetry',
    from,
    to: from + 10 * 86_400_000,
    fields: ['bladeSpeed'],
    fn: 'count',
  });
  return Number(rows[0]?.values.bladeSpeed ?? 0);
}

async function waitDrained(sys: RunningSystem, published: number, maxMs: number): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < maxMs) {
    const s = sys.ingest!.stats();
    if (s.received >= published && !s.backlog) return Date.now() - start;
    await sleep(20);
  }
  return -1;
}

export async function runE2e(opts: {
  influxUrl: string | null;
  machines: number;
  samplesPerMessage: number;
  durationMs: number;
  t0: number;
  /** also run the warning engine in the process (default: broker + ingest, the storage path) */
  analysis?: boolean;
}): Promise<E2eResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sawbrain-bench-e2e-'));
  const machines = await provisionBenchMachines(dataDir, opts.machines);
  const roles: Role[] = opts.analysis ? ['broker', 'ingest', 'analysis'] : ['broker', 'ingest'];
  const config = loadConfig(
    {},
    {
      roles,
      dataDir,
      logLevel: 'silent',
      mqtt: { host: '127.0.0.1', port: 0, wsPort: 0 },
      ...(opts.influxUrl ? { influx: { url: opts.influxUrl } } : {}),
    },
  );
  const sys = await startSystem(config, silentLogger());
  const storeName = `${opts.influxUrl ? 'influx' : 'sqlite'}${opts.analysis ? '+analysis' : ''}`;
  let received = 0;
  try {
    let t0 = opts.t0;
    const step = async (mode: 'closed' | 'open', rate: number): Promise<E2eStep> => {
      t0 += 30 * 86_400_000; // a fresh time range per step: counts do not mix
      const started = Date.now();
      const writesBefore = sys.ingest!.stats().writes;
      const cpu = new CpuSampler({ sawbrain: process.pid, influxd: childPid('influxd') });
      const pointsBefore = sys.ingest!.stats().pointsStored;
      const r = await runPublisher(
        {
          url: sys.urls.mqtt!,
          machines,
          mode,
          rate,
          durationMs: opts.durationMs,
          samplesPerMessage: opts.samplesPerMessage,
          t0,
          inflight: 8,
        },
        (pid) => cpu.add('publisher', pid),
      );
      received += r.published;
      const drainMs = await waitDrained(sys, received, 60_000);
      const cores = cpu.stop();
      const stored = await storedSamples(sys, t0);
      const wall = (Date.now() - started) / 1000;
      const after = sys.ingest!.stats();
      const writes = after.writes - writesBefore;
      const seconds = mode === 'closed' ? wall : r.elapsedMs / 1000;
      const s: E2eStep = {
        targetMsgPerSec: rate,
        publishedMsgPerSec: r.published / (r.elapsedMs / 1000),
        sentSamples: r.samples,
        storedSamples: stored,
        loss: r.samples - stored,
        samplesPerSec: stored / seconds,
        fieldsPerSec: (stored * FIELDS) / seconds,
        drainMs,
        sustained:
          stored === r.samples &&
          drainMs >= 0 &&
          drainMs <= 2000 &&
          (mode === 'closed' || r.published / (r.elapsedMs / 1000) >= rate * 0.9),
        writes,
        pointsPerWrite: writes ? (after.pointsStored - pointsBefore) / writes : 0,
        cpu: cores,
      };
      progress(
        `e2e ${storeName}`,
        `${mode} ${rate ? `${fmt(rate)} msg/s` : 'saturation'}: ${fmt(s.samplesPerSec)} samples/s, loss ${s.loss}, drain ${drainMs} ms, ${fmt(s.pointsPerWrite)} points/write, cores ${Object.entries(
          cores,
        )
          .map(([k, v]) => `${k} ${v.toFixed(2)}`)
          .join(' ')}`,
      );
      return s;
    };
    // saturation: publish as fast as acknowledgements allow; includes the time to drain
    const saturation = await step('closed', 0);
    const capacityMsgs = saturation.samplesPerSec / opts.samplesPerMessage;
    // ramp: from half the saturation figure up by ×1.25 until a step is not sustained, or the
    // publishers cannot reach the target any more (then the generator, not SawBrain, is the limit)
    const steps: E2eStep[] = [];
    const ok = (s: E2eStep, rate: number) => s.sustained && s.publishedMsgPerSec >= rate * 0.9;
    let good = 0;
    let bad = 0;
    for (let rate = capacityMsgs * 0.5, i = 0; i < 16; i++, rate *= 1.25) {
      const s = await step('open', Math.round(rate));
      steps.push(s);
      // the rate the publishers achieved, acknowledgements included: a broker that holds back
      // PUBACKs (e.g. a slow subscriber) stretches the step, and the step is not sustained then
      if (!ok(s, rate)) {
        bad = rate;
        break;
      }
      good = rate;
    }
    // the ×1.25 ramp brackets the limit; two geometric bisection steps narrow it to ~6 %
    for (let i = 0; i < 2 && good > 0 && bad > 0; i++) {
      const rate = Math.sqrt(good * bad);
      const s = await step('open', Math.round(rate));
      steps.push(s);
      if (ok(s, rate)) good = rate;
      else bad = rate;
    }
    const sustained = steps.filter((s) => s.sustained);
    const best = sustained.length ? Math.max(...sustained.map((s) => s.samplesPerSec)) : 0;
    const fastest = sustained.find((s) => s.samplesPerSec === best);
    const coresPer10k: Record<string, number> = {};
    for (const [name, cores] of Object.entries(fastest?.cpu ?? {}))
      coresPer10k[name] = (cores / fastest!.samplesPerSec) * 10_000;
    return {
      store: storeName,
      roles,
      machines: opts.machines,
      samplesPerMessage: opts.samplesPerMessage,
      saturation,
      steps,
      sustainableSamplesPerSec: Math.max(best, saturation.loss === 0 ? saturation.samplesPerSec : 0),
      coresPer10k,
    };
  } finally {
    await sys.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
