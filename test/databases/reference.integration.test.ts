import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../services/core/config.js';
import { silentLogger } from '../../services/core/logger.js';
import { createMetrics } from '../../services/core/metrics.js';
import { DatabasesService } from '../../services/databases/index.js';
import { loadSeeds } from '../../services/seeds/index.js';
import { SqliteStore } from '../../services/stores/index.js';

/** seeds/ reference data reaches the databases at every start, rewritten in place (idempotent). */
describe('reference data at start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sawbrain-ref-'));
  const store = new SqliteStore({ dir, logger: silentLogger() });
  afterAll(async () => {
    await store.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the catalogues once, however often the service starts', async () => {
    const seeds = loadSeeds('seeds');
    const config = loadConfig({}, { dataDir: dir });
    await store.start();
    const count = async (db: 'supplychain' | 'market', measurement: string) =>
      (await store.query({ db, measurement, from: 0, to: 1 })).length;
    for (let start = 0; start < 3; start++) {
      const svc = new DatabasesService({
        config,
        seeds,
        logger: silentLogger(),
        metrics: createMetrics(false),
        store,
      });
      await svc.start();
      await svc.stop();
      expect(svc.stats().pointsWritten).toBeGreaterThanOrEqual(seeds.blades.length);
      expect(await count('supplychain', 'blade_catalogue')).toBe(seeds.blades.length);
      expect(await count('supplychain', 'wear_part_catalogue')).toBe(seeds.wearParts.length);
      expect(await count('market', 'saw_model')).toBe(seeds.models.length);
    }
    const [blade] = await store.query({
      db: 'supplychain',
      measurement: 'blade_catalogue',
      from: 0,
      to: 1,
      limit: 1,
    });
    const cat = seeds.lookup.blade.get(blade!.tags.bladeModel!)!;
    expect(blade!.values).toMatchObject({
      nominalLifeCm2: cat.nominalLifeCm2,
      priceCnyPerM: cat.priceCnyPerM,
    });
  });
});
