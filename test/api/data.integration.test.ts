import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApiApp } from '../../services/api/app.js';
import { AuditLog } from '../../services/commands/index.js';
import { silentLogger } from '../../services/core/logger.js';
import { createMetrics } from '../../services/core/metrics.js';
import { ApiKeyStore, MachineRegistry } from '../../services/registry/index.js';
import { SqliteStore } from '../../services/stores/index.js';
import { replay, scenario } from '../databases/scenario.js';

/**
 * The data routes on real databases: a simulated day of the demo fleet's Zhejiang saws and a
 * few others, replayed into the embedded store and built by the databases service, read through
 * the API by each tier. A manufacturer gets rows of its machines only, a plant of its plant only,
 * the innovation complex anonymised aggregates (no identifiers, no bucket below 5 machines).
 */
describe('data routes on the four databases', () => {
  let dir: string;
  let store: SqliteStore;
  let app: FastifyInstance;
  let registry: MachineRegistry;
  let keys: ApiKeyStore;
  let audit: AuditLog;
  const k: Record<string, string> = {};
  const s = scenario(1, 4);
  const span = `from=${s.from}&to=${s.to}`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sawbrain-api-data-'));
    store = new SqliteStore({ dir: join(dir, 'tsdb'), logger: silentLogger() });
    await store.start();
    const { service } = await replay(s, store, { rollupEveryMs: 6 * 3_600_000 });
    registry = MachineRegistry.open(dir, { scrypt: { N: 1024, r: 8, p: 1 } });
    for (const m of s.machines)
      await registry.addMachine({
        machineId: m.machineId,
        tenant: m.tenant,
        plant: m.plant!,
        site: m.site!,
        region: m.region!,
        industry: m.industry,
        model: m.model,
        serial: m.serial ?? m.machineId,
      });
    keys = ApiKeyStore.open(dir);
    audit = AuditLog.open(dir);
    app = await buildApiApp({
      config: s.config,
      logger: silentLogger(),
      metrics: createMetrics(false),
      status: { readiness: {}, status: () => ({ cards: [], urls: {} }) },
      registry,
      keys,
      audit,
      seeds: s.seeds,
      store,
      analysis: null,
      databases: service.reader,
      commands: null,
      live: null,
    });
    k.admin = keys.create({ role: 'admin', label: 'a' }).key;
    k.chenlong = keys.create({ role: 'manufacturer', tenant: 'chenlong', label: 'c' }).key;
    k.plant = keys.create({ role: 'plant', plant: 'ningbo-autoparts', label: 'p' }).key;
    k.innovation = keys.create({ role: 'innovation', label: 'i' }).key;
  }, 300_000);

  afterAll(async () => {
    await app?.close();
    keys?.close();
    audit?.close();
    registry?.close();
    await store?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const get = async (key: string, url: string) => {
    const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
    return { status: res.statusCode, json: JSON.parse(res.body), text: res.body };
  };

  const identifiers = () => [
    ...s.machines.flatMap((m) => [m.machineId, m.serial ?? m.machineId, m.plant!]),
    ...s.seeds.tenants.flatMap((t) => [t.slug, t.name]),
    ...s.seeds.plants.map((p) => p.name),
  ];

  it('manufacturer and plant read only their own machines’ operations, supply chain and market rows', async () => {
    const own = new Set(s.machines.filter((m) => m.tenant === 'chenlong').map((m) => m.machineId));
    const plantOwn = new Set(
      s.machines.filter((m) => m.plant === 'ningbo-autoparts').map((m) => m.machineId),
    );
    const util = await get(k.chenlong!, `/api/v1/operations/utilisation?${span}`);
    expect(util.status).toBe(200);
    expect(util.json.items.length).toBeGreaterThan(0);
    for (const r of util.json.items) expect(own.has(r.machine)).toBe(true);
    const energy = await get(k.plant!, `/api/v1/operations/energy?${span}`);
    expect(energy.json.items.length).toBeGreaterThan(0);
    for (const r of energy.json.items) expect(plantOwn.has(r.machine)).toBe(true);
    const repl = await get(k.chenlong!, '/api/v1/supply-chain/replacements?horizonDays=365');
    for (const r of repl.json.items) expect(r.tenant).toBe('chenlong');
    const market = await get(k.chenlong!, `/api/v1/market/installed-base?${span}&by=region,manufacturer`);
    expect(market.status).toBe(200);
    for (const r of market.json.items) expect(r.manufacturer ?? 'chenlong').toBe('chenlong');
    // a plant has no market tier; a foreign machine filter is refused
    expect((await get(k.plant!, `/api/v1/market/installed-base?${span}`)).status).toBe(403);
    const foreign = s.machines.find((m) => m.tenant !== 'chenlong')!.machineId;
    expect(
      (await get(k.chenlong!, `/api/v1/operations/utilisation?${span}&machineId=${foreign}`)).status,
    ).toBe(403);
    const mine = [...own][0]!;
    const blade = await get(k.chenlong!, `/api/v1/machines/${mine}/blade-life?${span}`);
    expect(blade.status).toBe(200);
    expect(blade.json.ledger.length).toBeGreaterThan(0);
    for (const r of blade.json.ledger) expect(r.machine).toBe(mine);
  });

  it('innovation reads anonymised aggregates only: no identifiers, no bucket below 5', async () => {
    const urls = [
      `/api/v1/market/installed-base?${span}`,
      `/api/v1/market/utilisation?${span}`,
      `/api/v1/market/materials?${span}`,
      '/api/v1/supply-chain/forecasts?weeks=52',
      '/api/v1/supply-chain/blade-life',
      '/api/v1/algorithms/precision',
      '/api/v1/map',
    ];
    let rows = 0;
    for (const url of urls) {
      const res = await get(k.innovation!, url);
      expect(res.status, url).toBe(200);
      for (const id of identifiers()) expect(res.text, `${url} contains ${id}`).not.toContain(id);
      const items = (res.json.items ?? res.json.nodes) as Record<string, unknown>[];
      rows += items.length;
      for (const r of items) {
        const n = (r.installed ?? r.machines) as number | undefined;
        if (n !== undefined && !url.includes('blade-life'))
          expect(n, `${url} bucket`).toBeGreaterThanOrEqual(5);
        expect(r.manufacturer).toBeUndefined();
        expect(r.tenant).toBeUndefined();
        expect(r.machine).toBeUndefined();
      }
    }
    expect(rows).toBeGreaterThan(0);
    // never by manufacturer, never per machine
    expect((await get(k.innovation!, `/api/v1/market/installed-base?${span}&by=manufacturer`)).status).toBe(
      403,
    );
    expect((await get(k.innovation!, `/api/v1/operations/utilisation?${span}`)).status).toBe(403);
    expect((await get(k.innovation!, '/api/v1/supply-chain/replacements')).status).toBe(403);
  });

  it('per-machine operations from the raw store: telemetry downsampled, cuts, utilisation, energy', async () => {
    const m = s.machines.find((x) => x.tenant === 'chenlong')!.machineId;
    const tel = await get(
      k.chenlong!,
      `/api/v1/machines/${m}/telemetry?${span}&fields=power,bladeSpeed&every=3600000`,
    );
    expect(tel.status).toBe(200);
    expect(tel.json.every).toBe(3_600_000);
    expect(tel.json.rows.length).toBeGreaterThan(0);
    expect(Object.keys(tel.json.rows[0].values).sort()).toEqual(['bladeSpeed', 'power']);
    // hourly buckets come from the databases' 1-minute table, and agree with the raw samples
    expect(tel.json.resolution).toBe('1m');
    const raw = await get(
      k.chenlong!,
      `/api/v1/machines/${m}/telemetry?${span}&fields=power,bladeSpeed&every=3600000&resolution=raw`,
    );
    expect(raw.json.resolution).toBe('raw');
    const rawByTs = new Map<number, Record<string, number>>(
      raw.json.rows.map((r: { ts: number; values: Record<string, number> }) => [r.ts, r.values]),
    );
    let compared = 0;
    for (const r of tel.json.rows as { ts: number; values: Record<string, number> }[]) {
      const b = rawByTs.get(r.ts);
      if (!b || r.values.power == null || b.power == null) continue;
      // the mean of minute means vs the mean of samples: equal but for partly filled minutes
      expect(Math.abs(r.values.power - b.power), `power @ ${r.ts}`).toBeLessThanOrEqual(
        0.05 * Math.max(Math.abs(b.power), 0.5),
      );
      compared++;
    }
    expect(compared).toBeGreaterThan(3);
    // sub-minute buckets stay raw
    const fine = await get(
      k.chenlong!,
      `/api/v1/machines/${m}/telemetry?from=${s.from}&to=${s.from + 600_000}&fields=power&every=30000`,
    );
    expect(fine.json.resolution).toBe('raw');
    const cuts = await get(k.chenlong!, `/api/v1/machines/${m}/cuts?${span}&limit=5`);
    expect(cuts.json.items.length).toBe(Math.min(5, cuts.json.total));
    expect(cuts.json.total).toBeGreaterThan(0);
    const util = await get(k.chenlong!, `/api/v1/machines/${m}/utilisation?${span}`);
    const shares = Object.values(util.json.share as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(shares).toBeCloseTo(1, 3);
    const energy = await get(k.chenlong!, `/api/v1/machines/${m}/energy?${span}`);
    expect(energy.json.total.cuts).toBe(cuts.json.total);
    expect((await get(k.chenlong!, `/api/v1/machines/${m}/telemetry?${span}&fields=nonsense`)).status).toBe(
      400,
    );
  });
});
