import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningSystem, startSystem } from '../../services/app/system.js';
import { TELEMETRY_VARIABLE_NAMES } from '../../services/contracts/index.js';
import { loadConfig } from '../../services/core/config.js';
import { silentLogger } from '../../services/core/logger.js';
import { fmt, progress, runPublisher, sleep } from '../lib/common.js';
import { provisionBenchMachines } from '../lib/provision.js';

/**
 * End to end: K publishing machines (a child process) → SawBrain's broker (auth + ACL) →
 * ingest (journal, validation, points) → store. Zero loss is checked by counting what was
 * stored. First a saturation run finds the capacity; then open-loop steps at fractions of it
 * find the highest rate that is sustained (all stored, backlog drained within 2 s of the end).
 */
export interface E2eStep {
  targetMsgPerSec: number;
  sentSamples: number;
  storedSamples: number;
  loss: number;
  samplesPerSec: number;
  fieldsPerSec: number;
  drainMs: number;
  sustained: boolean;
}

export interface E2eResult {
  store: string;
  machines: number;
  samplesPerMessage: number;
  saturation: E2eStep;
  steps: E2eStep[];
  sustainableSamplesPerSec: number;
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
}): Promise<E2eResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sawbrain-bench-e2e-'));
  const machines = await provisionBenchMachines(dataDir, opts.machines);
  const config = loadConfig(
    {},
    {
      roles: ['broker', 'ingest'],
      dataDir,
      logLevel: 'silent',
      mqtt: { host: '127.0.0.1', port: 0, wsPort: 0 },
      ...(opts.influxUrl ? { influx: { url: opts.influxUrl } } : {}),
    },
  );
  const sys = await startSystem(config, silentLogger());
  const storeName = opts.influxUrl ? 'influx' : 'sqlite';
  let received = 0;
  try {
    let t0 = opts.t0;
    const step = async (mode: 'closed' | 'open', rate: number): Promise<E2eStep> => {
      t0 += 30 * 86_400_000; // a fresh time range per step: counts do not mix
      const started = Date.now();
      const r = await runPublisher({
        url: sys.urls.mqtt!,
        machines,
        mode,
        rate,
        durationMs: opts.durationMs,
        samplesPerMessage: opts.samplesPerMessage,
        t0,
        inflight: 8,
      });
      received += r.published;
      const drainMs = await waitDrained(sys, received, 60_000);
      const stored = await storedSamples(sys, t0);
      const wall = (Date.now() - started) / 1000;
      const seconds = mode === 'closed' ? wall : r.elapsedMs / 1000;
      const s: E2eStep = {
        targetMsgPerSec: rate,
        sentSamples: r.samples,
        storedSamples: stored,
        loss: r.samples - stored,
        samplesPerSec: stored / seconds,
        fieldsPerSec: (stored * FIELDS) / seconds,
        drainMs,
        sustained: stored === r.samples && drainMs >= 0 && drainMs <= 2000,
      };
      progress(
        `e2e ${storeName}`,
        `${mode} ${rate ? `${fmt(rate)} msg/s` : 'saturation'}: ${fmt(s.samplesPerSec)} samples/s, loss ${s.loss}, drain ${drainMs} ms`,
      );
      return s;
    };
    // saturation: publish as fast as acknowledgements allow; includes the time to drain
    const saturation = await step('closed', 0);
    const capacityMsgs = saturation.samplesPerSec / opts.samplesPerMessage;
    // ramp: from half the saturation figure up by ×1.25 until a step is not sustained, or the
    // publishers cannot reach the target any more (then the generator, not SawBrain, is the limit)
    const steps: E2eStep[] = [];
    for (let rate = capacityMsgs * 0.5, i = 0; i < 10; i++, rate *= 1.25) {
      const s = await step('open', Math.round(rate));
      steps.push(s);
      const reached = s.sentSamples / opts.samplesPerMessage / (opts.durationMs / 1000);
      if (!s.sustained || reached < rate * 0.9) break;
    }
    const sustained = steps.filter((s) => s.sustained);
    const best = sustained.length ? Math.max(...sustained.map((s) => s.samplesPerSec)) : 0;
    return {
      store: storeName,
      machines: opts.machines,
      samplesPerMessage: opts.samplesPerMessage,
      saturation,
      steps,
      sustainableSamplesPerSec: Math.max(best, saturation.loss === 0 ? saturation.samplesPerSec : 0),
    };
  } finally {
    await sys.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
