import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MachineScope } from '../../services/databases/index.js';
import { TIME_CATEGORIES } from '../../services/databases/rows.js';
import { loadSeeds } from '../../services/seeds/index.js';
import { waitFor } from '../helpers/ports.js';
import { bootSystem, type TestSystem } from '../helpers/system.js';

/**
 * The databases role in the composed process: it takes the fleet's messages in-process from the
 * broker (beside ingest and analysis), rolls up on its timer and writes all four databases to
 * the embedded store; the read interface serves them by scope.
 */
describe('databases role in the running system', () => {
  let t: TestSystem;
  const all: MachineScope = { kind: 'all' };
  const range = { from: Date.UTC(2000, 0, 1), to: Date.UTC(2100, 0, 1) };
  const seeds = loadSeeds('seeds');

  beforeAll(async () => {
    t = await bootSystem({
      roles: ['broker', 'ingest', 'analysis', 'databases', 'simulator'],
      simulator: { machines: 4, speed: 300, sampleIntervalMs: 1000, samplesPerMessage: 10 },
      databases: { rollupIntervalMs: 500, snapshotEveryMinutes: 20 },
      analysis: { tickMs: 200 },
    });
  });
  afterAll(async () => t?.close());

  it('builds the operations, supply-chain and algorithms databases from the live stream', async () => {
    const db = t.sys.databases!;
    expect(db).not.toBeNull();
    const api = db.reader;
    await waitFor(
      async () => (await api.operations.cuts(all, range, { limit: 20 })).items.length >= 8,
      60_000,
      250,
    );
    await waitFor(async () => (await api.operations.utilisation(all, range)).items.length >= 4, 30_000, 250);
    await waitFor(async () => (await api.algorithms.rules()).length > 0, 30_000, 250);

    const cuts = (await api.operations.cuts(all, range, { limit: 1000 })).items;
    for (const c of cuts) {
      expect(c.areaCm2).toBeGreaterThan(0);
      expect(c.co2Kg).toBeCloseTo(c.energyKWh * t.sys.config.databases.gridKgPerKWh, 9);
    }
    const machines = new Set(cuts.map((c) => c.machine));
    const tenant = cuts[0]!.tenant;
    const own = (await api.operations.cuts({ kind: 'tenant', tenant }, range, { limit: 1000 })).items;
    expect(own.length).toBeGreaterThan(0);
    expect(own.every((c) => c.tenant === tenant)).toBe(true);
    expect((await api.operations.cuts({ kind: 'machines', machines: [] }, range)).items).toEqual([]);
    const machine = cuts[0]!.machine;
    const other = cuts.find((c) => c.tenant !== tenant)?.machine;
    const minutes = await api.operations.telemetry(all, machine, range, { resolution: '1m', limit: 5 });
    expect(minutes.items.length).toBe(5);
    expect(minutes.next).toBeDefined();
    expect(minutes.items[0]!.values.energyKWh).toBeGreaterThanOrEqual(0);
    const more = await api.operations.telemetry(all, machine, range, {
      resolution: '1m',
      limit: 5,
      cursor: minutes.next!,
    });
    expect(more.items[0]!.ts).toBeGreaterThan(minutes.items[4]!.ts);
    const raw = await api.operations.telemetry({ kind: 'tenant', tenant }, machine, range, {
      fields: ['power'],
      limit: 3,
    });
    expect(raw.items.map((r) => Object.keys(r.values))).toEqual([['power'], ['power'], ['power']]);
    if (other) {
      await expect(api.operations.telemetry({ kind: 'tenant', tenant }, other, range)).rejects.toThrow(
        /not found/,
      );
    }
    await expect(api.operations.states({ kind: 'anonymised' } as never, range)).rejects.toThrow(/anonymised/);

    for (const u of (await api.operations.utilisation(all, range)).items) {
      const sum = TIME_CATEGORIES.reduce((a, k) => a + u[k], 0);
      expect(Math.abs(sum - u.wallS)).toBeLessThan(1e-6);
    }
    const ledger = (await api.supplyChain.bladeLedger(all, range)).items;
    for (const m of machines)
      expect(
        ledger.some((e) => e.machine === m && e.areaCm2 > 0),
        m,
      ).toBe(true);

    // every rule of seeds/rules.json is in the algorithms database with its version
    const rules = await api.algorithms.rules();
    expect(new Set(rules.map((r) => `${r.rule}@${r.version}`))).toEqual(
      new Set(seeds.rules.map((r) => `${r.id}@${r.version}`)),
    );
    // the analysis service's learned state reaches the algorithms database
    await waitFor(async () => (await api.algorithms.baselines(all)).length > 0, 60_000, 500);
    const baselines = await api.algorithms.baselines(all);
    expect(baselines.some((b) => b.key === 'idle-power' && b.unit === 'kW' && b.value > 0)).toBe(true);
    await waitFor(async () => (await api.algorithms.lifeModel(all)).length > 0, 60_000, 500);
    for (const l of await api.algorithms.lifeModel(all)) {
      expect(l.bladeId).not.toBe('');
      expect(l.endOfLife).toBeGreaterThan(0);
      expect(ledger.some((e) => e.machine === l.machine)).toBe(true);
    }
    expect(t.sys.metrics.getSingleMetric('sawbrain_databases_points_written_total')).toBeDefined();
  }, 120_000);
});
