import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../services/core/config.js';
import { silentLogger } from '../../services/core/logger.js';
import { createMetrics } from '../../services/core/metrics.js';
import type { TelemetryStore } from '../../services/core/ports.js';
import { DatabasesService } from '../../services/databases/index.js';
import { queryAll } from '../../services/databases/store-read.js';
import { runOffline } from '../../services/simulator/index.js';
import { InfluxStore, SqliteStore } from '../../services/stores/index.js';
import { scenario } from './scenario.js';

/**
 * The rules of raw-telemetry retention in the databases service: where a machine's cutoff lies
 * (retention age, its open minute, where a restart re-reads raw samples), that a cutoff is only
 * applied again once it has moved on by the step, the metrics, and the honest answer on a store
 * that cannot delete by time (InfluxDB 3.x, here a fake server speaking its API).
 */
const HOUR = 3_600_000;
const MINUTE = 60_000;

function service(store: TelemetryStore, metrics: Registry, rawRetentionDays: number) {
  const s = scenario(1, 0);
  const config = loadConfig(
    {},
    { dataDir: 'unused', databases: { rollupIntervalMs: 3_600_000, rawRetentionDays } },
  );
  return {
    s,
    svc: new DatabasesService({ config, seeds: s.seeds, logger: silentLogger(), metrics, store }),
  };
}

/** Three hours of one simulated machine, fed to the service (and its raw telemetry to `store`). */
async function feed(svc: DatabasesService, store: TelemetryStore | null, s: ReturnType<typeof scenario>) {
  const machine = s.machines[0]!;
  const run = runOffline([machine], s.from, s.from + 3 * HOUR, {
    seeds: s.seeds,
    seed: 5,
    sampleIntervalMs: 10_000,
    samplesPerMessage: 6,
  });
  for (const m of run.messages) {
    if (store && m.kind === 'telemetry') {
      const p = m.payload as { samples: { ts: number; power?: number }[] };
      await store.write(
        p.samples.map((x) => ({
          db: 'operations' as const,
          measurement: 'telemetry',
          tags: { tenant: machine.tenant, machine: machine.machineId },
          fields: { power: x.power ?? 0 },
          ts: x.ts,
        })),
      );
    }
    svc.accept(m.topic, Buffer.from(JSON.stringify(m.payload)));
  }
  return machine;
}

async function metric(registry: Registry, name: string, labels: Record<string, string> = {}) {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = (m?.values ?? []).find((x) =>
    Object.entries(labels).every(([k, val]) => (x.labels as Record<string, unknown>)[k] === val),
  );
  return v?.value;
}

describe('raw retention rules', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const sqlite = () => {
    const dir = mkdtempSync(join(tmpdir(), 'sawbrain-retr-'));
    dirs.push(dir);
    return new SqliteStore({ dir, logger: silentLogger() });
  };

  it('cuts at the retention age, but never into the open minute or what a restart re-reads', () => {
    const { svc } = service(sqlite(), createMetrics(false), 1);
    const r = svc.retention;
    const H = Date.UTC(2026, 0, 10, 12, 0, 30);
    const day = 24 * HOUR;
    expect(r.cutoffFor({ lastSeen: H, resumeFrom: H - 10 * MINUTE }, H)).toBe(H - 30_000 - day);
    // a machine silent for days: up to the start of its last minute, not beyond
    const quiet = H - 3 * day + 90_000;
    expect(r.cutoffFor({ lastSeen: quiet, resumeFrom: quiet - 30_000 }, H)).toBe(
      Math.floor((quiet - 30_000) / MINUTE) * MINUTE,
    );
    // a running span (or a cut waiting for telemetry) that began 2 days ago: its samples stay
    const running = H - 2 * day + 45_000;
    expect(r.cutoffFor({ lastSeen: H, resumeFrom: running }, H)).toBe(Math.floor(running / MINUTE) * MINUTE);
    const off = service(sqlite(), createMetrics(false), 0).svc.retention;
    expect(off.enabled).toBe(false);
  });

  it('deletes after the rollup, again only once the cutoff moved by an hour, and counts it', async () => {
    const store = sqlite();
    const metrics = createMetrics(false);
    const { s, svc } = service(store, metrics, 1 / 24); // keep one hour
    await store.start();
    await svc.start();
    const machine = await feed(svc, store, s);
    const where = { tenant: machine.tenant, machine: machine.machineId };
    const rawCount = async () =>
      (
        await queryAll(store, {
          db: 'operations',
          measurement: 'telemetry',
          from: s.from - HOUR,
          to: s.from + 4 * HOUR,
          where,
          fields: ['power'],
        })
      ).length;
    const before = await rawCount();
    const res = await svc.rollup(false);
    expect(res).toBeDefined();
    const horizon = svc.builder.horizon;
    const cutoff = svc.retention.applied().get(machine.machineId)!;
    expect(cutoff).toBe(Math.floor((horizon - HOUR) / MINUTE) * MINUTE);
    const after = await rawCount();
    expect(after).toBeLessThan(before);
    expect(svc.stats().lastRetention).toMatchObject({
      machines: 1,
      deleted: before - after,
      supported: true,
    });
    expect(
      await metric(metrics, 'sawbrain_databases_retention_deleted_total', { measurement: 'telemetry' }),
    ).toBe(before - after);
    expect(await metric(metrics, 'sawbrain_databases_retention_runs_total', { outcome: 'ok' })).toBe(1);
    expect(await metric(metrics, 'sawbrain_databases_retention_cutoff_timestamp_seconds')).toBe(
      cutoff / 1000,
    );
    expect(await metric(metrics, 'sawbrain_databases_retention_last_run_timestamp_seconds')).toBeGreaterThan(
      0,
    );
    // the same horizon, or half an hour on: nothing to do; an hour and a minute on: again
    expect((await svc.retention.run(horizon)).machines).toBe(0);
    expect((await svc.retention.run(horizon + 30 * MINUTE)).machines).toBe(0);
    const later = await svc.retention.run(horizon + 61 * MINUTE);
    expect(later.machines).toBe(1);
    expect(later.cutoff).toBeLessThanOrEqual(Math.floor(horizon / MINUTE) * MINUTE); // not past its last minute
    await svc.stop();
    await store.stop();
  });

  describe('on InfluxDB 3.x (fake server)', () => {
    let server: Server;
    let url: string;
    const seen: { method: string; path: string; q: string | null }[] = [];
    beforeAll(async () => {
      server = createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          const u = new URL(req.url ?? '/', 'http://x');
          seen.push({ method: req.method ?? '', path: u.pathname, q: u.searchParams.get('q') });
          if (u.pathname === '/ping') {
            res.writeHead(200, { 'X-Influxdb-Version': '3.1.0', 'X-Influxdb-Build': 'Core' });
            res.end('{}');
          } else if (u.pathname === '/query') {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ results: [{ statement_id: 0 }] }));
          } else {
            res.writeHead(204);
            res.end();
          }
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    it('deletes nothing, says so once in the metrics and the stats, and the rollup still succeeds', async () => {
      const store = new InfluxStore({
        config: loadConfig({}, { influx: { url, token: 'tok' } }).influx,
        logger: silentLogger(),
      });
      const metrics = createMetrics(false);
      const { s, svc } = service(store, metrics, 1 / 24);
      await store.start();
      await svc.start();
      await feed(svc, null, s);
      expect(await svc.rollup(false)).toBeDefined();
      expect(svc.stats().lastRetention).toMatchObject({ supported: false, deleted: null });
      expect(svc.stats().lastError).toBeUndefined();
      expect(
        await metric(metrics, 'sawbrain_databases_retention_runs_total', { outcome: 'unsupported' }),
      ).toBe(1);
      expect(seen.some((x) => x.path.includes('delete') || /DELETE|DROP/i.test(x.q ?? ''))).toBe(false);
      expect(seen.some((x) => x.path === '/write')).toBe(true); // it did build the databases
      await svc.stop();
      await store.stop();
    });
  });
});
