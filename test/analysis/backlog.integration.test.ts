import type { Aedes } from 'aedes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sample, TELEMETRY_VARIABLE_NAMES, topicFor } from '../../services/contracts/index.js';
import { waitFor } from '../helpers/ports.js';
import { bootSystem, type TestSystem } from '../helpers/system.js';
import { cuttingSample, seeds, T0 } from './fixtures.js';

/**
 * A backlog on the in-process path: the broker hands the analysis a burst of messages from two
 * machines in one go (as it does when the shared cores were busy for a moment). They are analysed
 * in batches (not one per event-loop turn), each machine's messages in their order (no tick
 * judges a machine in the middle of it), the lag is measured, and the queue ends empty.
 */
const RATED = seeds.lookup.model.get('chenlong-gz4235')!.ratedCurrentA;
const MACHINES = ['CL-BL-01', 'CL-BL-02'];
const CYCLES = 8;

function publish(aedes: Aedes, topic: string, body: object): Promise<void> {
  return new Promise((resolve, reject) =>
    aedes.publish(
      {
        cmd: 'publish',
        topic,
        payload: Buffer.from(JSON.stringify({ v: 1, bootId: 'boot-1', ...body })),
        qos: 1,
        retain: false,
        dup: false,
      },
      (err) => (err ? reject(err) : resolve()),
    ),
  );
}

const telemetry = (samples: Sample[]) => ({ ts: samples.at(-1)!.ts, samples });

/** One machine's cycles: overload (raise or reactivate), calm (clear), a later calm sample. */
function cycles(): object[] {
  const out: object[] = [];
  for (let k = 0; k < CYCLES; k++) {
    const t0 = T0 + k * 30 * 60_000;
    out.push(
      telemetry(
        Array.from({ length: 5 }, (_, i) => cuttingSample(t0 + i * 1000, { motorCurrent: RATED * 1.15 })),
      ),
    );
    out.push(telemetry([10, 30, 70, 80, 90].map((s) => cuttingSample(t0 + s * 1000))));
    out.push(telemetry([cuttingSample(t0 + 20 * 60_000)]));
  }
  return out;
}

async function histogram(t: TestSystem, name: string): Promise<{ count: number; sum: number }> {
  const text = await t.sys.metrics.getSingleMetricAsString(name);
  const count = Number(new RegExp(`${name}_count\\S* (\\S+)`).exec(text)?.[1] ?? 0);
  const sum = Number(new RegExp(`${name}_sum\\S* (\\S+)`).exec(text)?.[1] ?? 0);
  return { count, sum };
}

describe('analysis under a backlog (in-process)', () => {
  let t: TestSystem;

  beforeAll(async () => {
    t = await bootSystem({ roles: ['broker', 'ingest', 'analysis'] });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('drains a burst in batches, in per-machine order, with the lag measured', async () => {
    const aedes = t.sys.broker!.aedes;
    expect(t.sys.analysis!.stats().transport).toBe('in-process');
    for (const id of MACHINES) {
      const topic = (kind: 'birth' | 'state') => topicFor('chenlong', id, kind);
      await publish(aedes, topic('birth'), {
        seq: 0,
        ts: T0,
        model: 'chenlong-gz4235',
        serial: id,
        firmware: 'f1',
        capabilities: [...TELEMETRY_VARIABLE_NAMES],
        sampleIntervalMs: 1000,
      });
      await publish(aedes, topic('state'), { seq: 1, ts: T0, state: 'running' });
    }
    await waitFor(() => t.sys.analysis!.stats().machines === MACHINES.length);
    await waitFor(() => t.sys.analysis!.stats().queued === 0);
    const batches0 = await histogram(t, 'sawbrain_analysis_batch_messages');
    const waits0 = await histogram(t, 'sawbrain_analysis_queue_wait_seconds');

    // the burst: both machines' cycles interleaved, all handed over before the analysis runs
    const per = MACHINES.map(() => cycles());
    const sent: Promise<void>[] = [];
    for (let i = 0; i < per[0]!.length; i++) {
      MACHINES.forEach((id, m) => {
        sent.push(publish(aedes, topicFor('chenlong', id, 'telemetry'), { seq: 2 + i, ...per[m]![i]! }));
      });
    }
    const total = sent.length;
    await Promise.all(sent);

    const an = t.sys.analysis!;
    for (const id of MACHINES) {
      const w = await waitFor(() => an.list({ machine: id }).find((x) => x.occurrences === CYCLES), 20_000);
      expect(an.list({ machine: id, type: 'motor-overload' })).toHaveLength(1);
      const history = an.history(w.warningId);
      // in device order: raise, then clear / reactivate in turn
      expect(history.filter((e) => e.action === 'reactivate')).toHaveLength(CYCLES - 1);
      const ts = history.filter((e) => ['raise', 'clear', 'reactivate'].includes(e.action)).map((e) => e.ts);
      expect(ts).toHaveLength(2 * CYCLES);
      expect(ts).toEqual([...ts].sort((a, b) => a - b));
    }
    await waitFor(() => an.stats().queued === 0);

    const batches = await histogram(t, 'sawbrain_analysis_batch_messages');
    const waits = await histogram(t, 'sawbrain_analysis_queue_wait_seconds');
    expect(waits.count - waits0.count).toBe(total); // every message's wait measured
    expect(batches.sum - batches0.sum).toBe(total);
    // batches, not a turn of the event loop per message (a batch yields after ≥ 8 messages)
    expect(batches.count - batches0.count).toBeLessThanOrEqual(Math.ceil(total / 8));
    const lag = await histogram(t, 'sawbrain_analysis_device_lag_seconds');
    expect(lag.count).toBeGreaterThanOrEqual(total);
    expect(an.stats()).toMatchObject({ queued: 0, dropped: 0 });
    const depth = await t.sys.metrics.getSingleMetricAsString('sawbrain_analysis_queue_depth');
    expect(depth).toMatch(/sawbrain_analysis_queue_depth\S* 0$/m);
  });
});
