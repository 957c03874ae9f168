import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../edge/gateway.js';
import { silentLogger } from '../../services/core/logger.js';
import { waitFor } from '../helpers/ports.js';
import { Observer } from './helpers/observer.js';
import { readOutboxFile } from './helpers/outbox-file.js';
import { PausableProxy } from './helpers/proxy.js';
import { type EdgeTestSystem, edgeSystem, testGatewayConfig } from './helpers/setup.js';

/**
 * An outbox far too small for the outage: the oldest messages are dropped and counted, and the
 * count equals the gap upstream — in the seqs the observer received and in ingest's own
 * (bootId, seq) tracking.
 */
const MACHINE = 'CL-OVF-1';

describe('outbox overflow during an outage', () => {
  let e: EdgeTestSystem;
  let proxy: PausableProxy;
  let observer: Observer;
  let gw: RunningGateway;

  beforeAll(async () => {
    e = await edgeSystem('gw-overflow', [MACHINE]);
    proxy = new PausableProxy(e.t.port);
    await proxy.start();
    observer = await Observer.start(e.t.sys, e.t.mqttUrl);
    const config = testGatewayConfig(
      e,
      proxy.url,
      [
        {
          machineId: MACHINE,
          model: 'chenlong-gz4235',
          serial: 'SN-OVF',
          sampleIntervalMs: 20,
          pollIntervalMs: 50,
          samplesPerMessage: 50,
          adapter: { protocol: 'simulator', model: 'chenlong-gz4235', speed: 25, schedule: 'always' },
        },
      ],
      // ~17 kB per telemetry message: room for about 12
      { outbox: { maxBytes: 200_000 }, uplink: { backfillRatePerSec: 200, backfillBurst: 50 } },
    );
    gw = await startGateway(config, silentLogger());
    await waitFor(() => observer.of('telemetry', MACHINE).length >= 3, 20_000);
  });

  afterAll(async () => {
    await gw?.stop();
    await observer?.stop();
    await proxy?.stop();
    await e?.close();
  });

  it('drops the oldest and counts exactly what upstream misses', async () => {
    const connects = gw.uplink.stats().connects;
    proxy.cut();
    await waitFor(() => (gw.outbox.boots()[0]?.dropped ?? 0) >= 40, 30_000);
    proxy.restore();
    await waitFor(() => {
      const s = gw.uplink.stats();
      return s.connects > connects && s.backfillDrainedAt !== null;
    }, 30_000);
    await gw.stop();

    const { boots, left } = readOutboxFile(e.dataDir);
    expect(left).toBe(0);
    const boot = boots[0];
    const dropped = boot!.dropped;
    expect(dropped).toBeGreaterThanOrEqual(40);
    const metric = await gw.metrics.getSingleMetric('sawbrain_edge_outbox_dropped_total')!.get();
    expect(metric.values.find((v) => v.labels.reason === 'size')?.value).toBe(dropped);

    // upstream: every seq of the boot arrived except exactly `dropped` of them, oldest backlog first
    await waitFor(
      () =>
        new Set(observer.seen.filter((s) => s.bootId === gw.bootId).map((s) => s.seq)).size >=
        boot!.enqueued - dropped,
      10_000,
    );
    const got = new Set(observer.seen.filter((s) => s.bootId === gw.bootId).map((s) => s.seq));
    const missing = [...Array(boot!.lastSeq + 1).keys()].filter((q) => !got.has(q));
    expect(missing.length).toBe(dropped);
    // drop-oldest: the newest message of the boot is never the one dropped, and everything lost
    // is older than it (drops may go on while the backlog drains on a loaded machine, so no
    // message before the last one is sure to survive)
    expect(got.has(boot!.lastSeq)).toBe(true);
    expect(Math.max(...missing)).toBeLessThan(boot!.lastSeq);
    // and what was lost is mostly the outage's backlog: at least the first dropped seqs were
    // written before upstream came back
    expect(Math.min(...missing)).toBeLessThan(boot!.lastSeq - dropped);
    const samplesUpstream = observer.seen
      .filter((s) => s.bootId === gw.bootId)
      .reduce(
        (sum, s, _i, all) => sum + (all.findIndex((x) => x.seq === s.seq) === all.indexOf(s) ? s.samples : 0),
        0,
      );
    expect(samplesUpstream).toBe(boot!.samples - boot!.droppedSamples);

    // ingest's sequence tracking sees the same gap, still open
    await waitFor(() => e.t.sys.ingest!.sequenceState(MACHINE)?.maxSeq === boot!.lastSeq, 10_000);
    expect(e.t.sys.ingest!.sequenceState(MACHINE)).toMatchObject({ bootId: gw.bootId, missing: dropped });
  });
});
