import type { Point } from '../../core/ports.js';
import type { Seeds } from '../../seeds/index.js';
import type { MachineInfo } from '../directory.js';
import { DAY_MS, isoDate, weekStart } from '../time.js';
import type { LedgerRead, LifeDistribution } from './life.js';

/** The analysis service's remaining-life estimate of a machine's mounted blade. */
export interface LifeEstimate {
  bladeId: string;
  remainingCm2: number;
  lowCm2?: number;
  highCm2?: number;
}

export interface ForecastMachine {
  info: MachineInfo;
  /** the mounted blade's ledger entry */
  blade: LedgerRead | undefined;
  /** recent cutting rate, cm²/day */
  areaPerDayCm2: number;
  estimate?: LifeEstimate;
}

export interface Replacement {
  tenant: string;
  machine: string;
  region: string;
  n: number;
  bladeId?: string;
  bladeType: string;
  catalogueId?: string;
  supplier: string;
  predictedAt: number;
  remainingCm2: number;
  lowCm2?: number;
  highCm2?: number;
  areaPerDayCm2: number;
  source: 'remaining-life-model' | 'life-distribution' | 'catalogue';
}

/** A life distribution needs this many blades before it replaces the catalogue figure. */
const MIN_LIFE_SAMPLES = 3;

/** Expected life of a blade like `b` in the material it cuts: fleet distribution, else catalogue. */
function expectedLife(
  seeds: Seeds,
  b: LedgerRead,
  dists: readonly LifeDistribution[],
): { lifeCm2: number; source: 'life-distribution' | 'catalogue' } | undefined {
  const d = dists.find(
    (x) =>
      x.bladeType === b.bladeType &&
      x.materialClass === (b.materialClass ?? 'unknown') &&
      x.n >= MIN_LIFE_SAMPLES,
  );
  if (d) return { lifeCm2: d.p50Cm2, source: 'life-distribution' };
  const cat = b.catalogueId ? seeds.lookup.blade.get(b.catalogueId) : undefined;
  if (!cat) return undefined;
  const factor = b.grade ? (seeds.lookup.material.get(b.grade)?.lifeFactor ?? 1) : 1;
  return { lifeCm2: cat.nominalLifeCm2 * factor, source: 'catalogue' };
}

/**
 * Predicted blade replacements per machine within the horizon: the mounted blade's remaining
 * area (remaining-life model, else expected life − area cut) at the machine's recent cutting
 * rate, then one more blade per expected life.
 */
export function predictReplacements(
  seeds: Seeds,
  machines: readonly ForecastMachine[],
  dists: readonly LifeDistribution[],
  now: number,
  horizonDays: number,
): Replacement[] {
  const out: Replacement[] = [];
  const end = now + horizonDays * DAY_MS;
  for (const m of machines) {
    const b = m.blade;
    if (!b || !(m.areaPerDayCm2 > 0)) continue;
    const life = expectedLife(seeds, b, dists);
    const est = m.estimate?.bladeId === b.bladeId ? m.estimate : undefined;
    if (!life && !est) continue;
    const remaining = Math.max(0, est ? est.remainingCm2 : life!.lifeCm2 - b.areaCm2);
    const base = {
      tenant: m.info.tenant,
      machine: m.info.machineId,
      region: m.info.region,
      bladeType: b.bladeType,
      ...(b.catalogueId ? { catalogueId: b.catalogueId } : {}),
      supplier: b.supplier,
      areaPerDayCm2: m.areaPerDayCm2,
    };
    let t = now + (remaining / m.areaPerDayCm2) * DAY_MS;
    if (t > end) continue;
    out.push({
      ...base,
      n: 1,
      bladeId: b.bladeId,
      predictedAt: Math.round(t),
      remainingCm2: remaining,
      ...(est?.lowCm2 !== undefined ? { lowCm2: est.lowCm2 } : {}),
      ...(est?.highCm2 !== undefined ? { highCm2: est.highCm2 } : {}),
      source: est ? 'remaining-life-model' : life!.source,
    });
    if (!life || !(life.lifeCm2 > 0)) continue;
    for (let n = 2; ; n++) {
      t += (life.lifeCm2 / m.areaPerDayCm2) * DAY_MS;
      if (t > end) break;
      out.push({ ...base, n, predictedAt: Math.round(t), remainingCm2: life.lifeCm2, source: life.source });
    }
  }
  return out.sort((a, b) => a.predictedAt - b.predictedAt);
}

export interface Demand {
  weekStart: number;
  region: string;
  bladeType: string;
  supplier: string;
  blades: number;
  machines: number;
  valueCny: number;
}

/** Price of one blade loop of a replacement: catalogue price per metre × the model's loop length. */
function loopPrice(seeds: Seeds, r: Replacement, model: string | undefined): number {
  const cat = r.catalogueId ? seeds.lookup.blade.get(r.catalogueId) : undefined;
  const lengthM = (seeds.lookup.model.get(model ?? '')?.bladeDims.lengthMm ?? 0) / 1000;
  return cat ? cat.priceCnyPerM * lengthM : 0;
}

/** Weekly demand per region × blade type × supplier: the predicted replacements, counted. */
export function weeklyDemand(
  seeds: Seeds,
  reps: readonly Replacement[],
  modelOf: (machine: string) => string | undefined,
): Demand[] {
  const groups = new Map<string, { d: Demand; machines: Set<string> }>();
  for (const r of reps) {
    const ws = weekStart(r.predictedAt);
    const key = `${ws}|${r.region}|${r.bladeType}|${r.supplier}`;
    let g = groups.get(key);
    if (!g) {
      g = {
        d: {
          weekStart: ws,
          region: r.region,
          bladeType: r.bladeType,
          supplier: r.supplier,
          blades: 0,
          machines: 0,
          valueCny: 0,
        },
        machines: new Set(),
      };
      groups.set(key, g);
    }
    g.d.blades++;
    g.d.valueCny += loopPrice(seeds, r, modelOf(r.machine));
    g.machines.add(r.machine);
  }
  return [...groups.values()]
    .map((g) => ({ ...g.d, machines: g.machines.size }))
    .sort((a, b) => a.weekStart - b.weekStart || a.region.localeCompare(b.region));
}

export function replacementPoint(r: Replacement, ts: number): Point {
  return {
    db: 'supplychain',
    measurement: 'replacement',
    tags: {
      tenant: r.tenant,
      machine: r.machine,
      region: r.region,
      bladeType: r.bladeType,
      supplier: r.supplier,
      nth: String(r.n),
    },
    fields: {
      ...(r.bladeId ? { bladeId: r.bladeId } : {}),
      ...(r.catalogueId ? { catalogueId: r.catalogueId } : {}),
      predictedAt: r.predictedAt,
      remainingCm2: r.remainingCm2,
      ...(r.lowCm2 !== undefined ? { lowCm2: r.lowCm2 } : {}),
      ...(r.highCm2 !== undefined ? { highCm2: r.highCm2 } : {}),
      areaPerDayCm2: r.areaPerDayCm2,
      source: r.source,
    },
    ts,
  };
}

export function demandPoint(d: Demand, ts: number): Point {
  return {
    db: 'supplychain',
    measurement: 'demand',
    tags: { week: isoDate(d.weekStart), region: d.region, bladeType: d.bladeType, supplier: d.supplier },
    fields: { weekStart: d.weekStart, blades: d.blades, machines: d.machines, valueCny: d.valueCny },
    ts,
  };
}
