import type { Point } from '../core/ports.js';
import type { Seeds } from '../seeds/index.js';

/** Reference data carries ts 0: it is in force since the seeds (same as seed rule versions). */
export const REFERENCE_TS = 0;

/**
 * The reference data of seeds/ that readers of the databases need next to the facts, written at
 * start: blade catalogue and wear parts (supply chain), saw models (market). Idempotent: the same
 * seeds write the same points (same identity), so every start rewrites them in place.
 */
export function referencePoints(seeds: Seeds): Point[] {
  const out: Point[] = [];
  for (const b of seeds.blades) {
    out.push({
      db: 'supplychain',
      measurement: 'blade_catalogue',
      // tag `bladeModel`, not `catalogueId`: blade_ledger has a field of that name, and a name must
      // not be a tag in one point and a field in the next of a batch (line-protocol writer check)
      tags: { bladeModel: b.id, bladeType: b.type, supplier: b.supplier },
      fields: {
        name: b.name,
        widthMm: b.widthMm,
        thicknessMm: b.thicknessMm,
        kerfMm: b.kerfMm,
        tpi: b.tpi,
        lifeClass: b.lifeClass,
        nominalLifeCm2: b.nominalLifeCm2,
        priceCnyPerM: b.priceCnyPerM,
      },
      ts: REFERENCE_TS,
    });
  }
  for (const w of seeds.wearParts) {
    out.push({
      db: 'supplychain',
      measurement: 'wear_part_catalogue',
      tags: { part: w.id, clock: w.clock },
      fields: {
        name: w.name,
        serviceLifeH: w.serviceLifeH,
        warningTypes: w.warningTypes.join(','),
        unitPriceCny: w.unitPriceCny,
      },
      ts: REFERENCE_TS,
    });
  }
  for (const m of seeds.models) {
    out.push({
      db: 'market',
      measurement: 'saw_model',
      tags: { model: m.id, manufacturer: m.tenant, sawType: m.type },
      fields: {
        name: m.name,
        maxRoundMm: m.maxRoundMm,
        motorKw: m.motorKw,
        idlePowerKw: m.idlePowerKw,
        bladeLengthMm: m.bladeDims.lengthMm,
      },
      ts: REFERENCE_TS,
    });
  }
  return out;
}
