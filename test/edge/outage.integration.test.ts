import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BootCounters } from '../../edge/outbox/store.js';
import { freePort, waitFor } from '../helpers/ports.js';
import { GatewayProcess } from './helpers/gateway-process.js';
import { Observer, type Seen } from './helpers/observer.js';
import { readOutboxFile } from './helpers/outbox-file.js';
import { PausableProxy } from './helpers/proxy.js';
import { type EdgeTestSystem, edgeSystem, testGatewayConfig } from './helpers/setup.js';

/**
 * The uplink is cut while two simulated saws produce > 20,000 samples (accelerated sampling);
 * the gateway process is SIGKILLed and restarted in the middle of the outage; then the link
 * returns. Upstream must get every numbered message exactly (per machine and boot: seq 0..last,
 * no gap), the backlog oldest first, and live data while the backlog is still draining.
 */
const MACHINES = ['CL-OUT-1', 'CL-OUT-2'];
const OUTAGE_SAMPLES = 20_000;

describe('store-and-forward through an outage with a gateway crash', () => {
  let e: EdgeTestSystem;
  let proxy: PausableProxy;
  let observer: Observer;
  let gw: GatewayProcess;

  beforeAll(async () => {
    e = await edgeSystem('gw-outage', MACHINES);
    proxy = new PausableProxy(e.t.port);
    await proxy.start();
    observer = await Observer.start(e.t.sys, e.t.mqttUrl);
    const anchorMs = Date.now();
    const config = testGatewayConfig(
      e,
      proxy.url,
      MACHINES.map((machineId, i) => ({
        machineId,
        model: 'chenlong-gz4235',
        serial: `SN-${machineId}`,
        sampleIntervalMs: 20, // virtual: 50 samples per virtual second …
        pollIntervalMs: 100,
        samplesPerMessage: 50,
        adapter: {
          protocol: 'simulator',
          model: 'chenlong-gz4235',
          seed: 7 + i,
          speed: 25, // … 25× faster than real time: 1,250 samples/s per saw
          anchorMs,
          schedule: 'always',
          job: { grade: '1045', section: { shape: 'round', diameterMm: 120 } },
        },
        cuts: { material: { grade: '1045' }, section: { shape: 'round', diameterMm: 120 } },
      })),
      {
        logLevel: 'warn',
        http: { host: '127.0.0.1', port: await freePort() },
        uplink: { maxInflight: 32, liveReserve: 8, backfillRatePerSec: 150, backfillBurst: 20 },
      },
    );
    gw = new GatewayProcess(config);
  });

  afterAll(async () => {
    await gw?.kill();
    await observer?.stop();
    await proxy?.stop();
    await e?.close();
  });

  it('delivers every numbered message exactly, backlog in order, live first', async () => {
    const produced = (h: { outbox: { boots: BootCounters[] } }) =>
      h.outbox.boots.reduce((s, b) => s + b.samples, 0);
    await gw.start();
    await waitFor(() => MACHINES.every((m) => observer.of('telemetry', m).length >= 5), 20_000).catch(
      (err) => {
        throw new Error(`${err}\n${gw.log}`);
      },
    );
    const bootA = (await gw.health()).bootId;

    // the link goes down
    proxy.cut();
    const atCut = produced(await gw.health());
    const cutAt = Date.now();
    await waitFor(async () => produced(await gw.health()) - atCut >= OUTAGE_SAMPLES * 0.55, 30_000, 100);
    await gw.kill(); // power cut in the middle of the outage
    await gw.start(); // same data dir, new boot
    const bootB = (await gw.health()).bootId;
    expect(bootB).not.toBe(bootA);
    await waitFor(async () => produced(await gw.health()) - atCut >= OUTAGE_SAMPLES, 30_000, 100);
    const beforeRestore = await gw.health();
    const outageSamples = produced(beforeRestore) - atCut;
    const backlogMessages = beforeRestore.outbox.depth;
    const restoredAt = Date.now();
    proxy.restore();

    await waitFor(async () => (await gw.health()).uplink.backfillDrainedAt !== null, 45_000, 100);
    const drained = await gw.health();
    const liveAckedDuringBackfill = drained.uplink.acked.live;
    await gw.stop(); // graceful: the last batches and offline states go out

    // what the gateway numbered, per (machine, boot), from its outbox file
    const { boots, left } = readOutboxFile(e.dataDir);
    expect(left).toBe(0);
    expect(boots.every((b) => b.dropped === 0)).toBe(true);
    expect(new Set(boots.map((b) => b.boot))).toEqual(new Set([bootA, bootB]));
    const total = boots.reduce((s, b) => s + b.enqueued, 0);
    await waitFor(
      () => new Set(observer.seen.filter((s) => s.kind !== 'command').map(key)).size >= total,
      20_000,
    );

    const restoredIndex = firstIndexAfter(observer.seen, restoredAt);
    let upstreamSamples = 0;
    for (const b of boots) {
      const arrivals = firstArrivals(
        observer.seen.filter((s) => s.machine === b.machine && s.bootId === b.boot),
      );
      // exact: seq 0 … lastSeq, each once
      expect(arrivals.map((s) => s.seq).sort((x, y) => x - y)).toEqual([...Array(b.lastSeq + 1).keys()]);
      expect(arrivals.length).toBe(b.enqueued);
      const samples = arrivals.reduce((s, a) => s + a.samples, 0);
      expect(samples).toBe(b.samples);
      upstreamSamples += samples;
      // in order: boot A's outage messages are all backlog; boot B's split at its birth after the restore
      const afterRestore = arrivals.filter((a) => a.n >= restoredIndex);
      const birthB = arrivals.find((a) => a.kind === 'birth');
      const split = b.boot === bootB ? (birthB?.seq ?? Number.POSITIVE_INFINITY) : Number.POSITIVE_INFINITY;
      expect(increasing(afterRestore.filter((a) => a.seq < split))).toBe(true);
      expect(increasing(afterRestore.filter((a) => a.seq >= split))).toBe(true);
    }
    expect(upstreamSamples).toBe(boots.reduce((s, b) => s + b.samples, 0));
    expect(outageSamples).toBeGreaterThanOrEqual(OUTAGE_SAMPLES);

    // live during backfill: a live telemetry of boot B arrived before the last backlog message
    const lastBacklog = Math.max(
      ...boots.map((b) => {
        const birth = observer.seen.find(
          (s) => s.bootId === bootB && s.machine === b.machine && s.kind === 'birth',
        );
        return Math.max(
          ...observer.seen
            .filter(
              (s) =>
                s.machine === b.machine &&
                (s.bootId === bootA || (s.bootId === bootB && s.seq < (birth?.seq ?? 0))),
            )
            .map((s) => s.n),
        );
      }),
    );
    const firstLive = Math.min(
      ...observer.seen
        .filter((s) => s.bootId === bootB && s.kind === 'telemetry')
        .filter((s) => {
          const birth = observer.seen.find(
            (x) => x.bootId === bootB && x.machine === s.machine && x.kind === 'birth',
          );
          return birth !== undefined && s.seq > birth.seq;
        })
        .map((s) => s.n),
    );
    expect(firstLive).toBeLessThan(lastBacklog);
    expect(liveAckedDuringBackfill).toBeGreaterThan(0);

    // and ingest stored every sample once (replays are idempotent)
    const stored = await waitFor(async () => {
      let n = 0;
      for (const m of MACHINES) {
        const [row] = await e.t.sys.store!.query({
          db: 'operations',
          measurement: 'telemetry',
          from: 0,
          to: 4_000_000_000_000,
          where: { machine: m },
          fields: ['bladeSpeed'],
          fn: 'count',
        });
        n += Number(row?.values.bladeSpeed ?? 0);
      }
      return n === upstreamSamples ? n : null;
    }, 20_000);
    expect(stored).toBe(upstreamSamples);

    const drainMs = (drained.uplink.backfillDrainedAt ?? 0) - (drained.uplink.backfillStartedAt ?? 0);
    process.stdout.write(
      `edge outage: ${outageSamples} samples during a ${restoredAt - cutAt} ms outage (gateway killed once), ` +
        `${backlogMessages} messages backlogged, drained in ${drainMs} ms ` +
        `(${Math.round((backlogMessages / Math.max(1, drainMs)) * 1000)} msg/s), ` +
        `${liveAckedDuringBackfill} live messages acknowledged meanwhile, ${upstreamSamples} samples upstream\n`,
    );
  });
});

const key = (s: Seen) => `${s.machine}/${s.bootId}/${s.seq}`;

/** first arrival of each (machine, boot, seq): QoS 1 may deliver a message twice around a cut */
function firstArrivals(seen: readonly Seen[]): Seen[] {
  const first = new Map<string, Seen>();
  for (const s of seen) if (!first.has(key(s))) first.set(key(s), s);
  return [...first.values()].sort((a, b) => a.n - b.n);
}

function increasing(xs: readonly Seen[]): boolean {
  return xs.every((x, i) => i === 0 || x.seq > xs[i - 1]!.seq);
}

function firstIndexAfter(seen: readonly Seen[], at: number): number {
  const i = seen.findIndex((s) => s.at >= at);
  return i < 0 ? seen.length : i;
}
