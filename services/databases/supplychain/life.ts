import { mean, quantileSorted, standardDeviation } from 'simple-statistics';
import type { SeriesRow } from '../../core/ports.js';
import { bool, num, str } from '../store-read.js';

/** A blade ledger row as read back from the store. */
export interface LedgerRead {
  ts: number;
  tenant: string;
  machine: string;
  bladeType: string;
  supplier: string;
  bladeId: string;
  catalogueId?: string;
  mountedAt: number;
  dismountedAt?: number;
  open: boolean;
  reason?: string;
  fromNew: boolean;
  areaCm2: number;
  cuts: number;
  reportedAreaCm2?: number;
  materialClass?: string;
  grade?: string;
}

export function ledgerFromRow(r: SeriesRow): LedgerRead {
  const v = r.values;
  const opt = <K extends string, T>(k: K, x: T | undefined) => (x === undefined ? {} : { [k]: x });
  return {
    ts: r.ts,
    tenant: r.tags.tenant ?? '',
    machine: r.tags.machine ?? '',
    bladeType: r.tags.bladeType ?? 'unknown',
    supplier: r.tags.supplier ?? 'unknown',
    bladeId: str(v.bladeId) ?? '',
    ...opt('catalogueId', str(v.catalogueId)),
    mountedAt: num(v.mountedAt, r.ts),
    ...opt('dismountedAt', typeof v.dismountedAt === 'number' ? v.dismountedAt : undefined),
    open: bool(v.open),
    ...opt('reason', str(v.reason)),
    fromNew: bool(v.fromNew),
    areaCm2: num(v.areaCm2),
    cuts: num(v.cuts),
    ...opt('reportedAreaCm2', typeof v.reportedAreaCm2 === 'number' ? v.reportedAreaCm2 : undefined),
    ...opt('materialClass', str(v.materialClass)),
    ...opt('grade', str(v.grade)),
  };
}

export interface LifeDistribution {
  bladeType: string;
  materialClass: string;
  n: number;
  machines: number;
  meanCm2: number;
  p10Cm2: number;
  p50Cm2: number;
  p90Cm2: number;
  stdCm2: number;
}

/** Blades whose whole life the ledger saw, ended by wear or breakage: the life sample. */
export const isLifeSample = (e: LedgerRead): boolean =>
  !e.open && e.fromNew && (e.reason === 'worn' || e.reason === 'broken') && e.areaCm2 > 0;

/** Life distributions per blade type × material class from ledger entries. */
export function lifeDistributions(entries: readonly LedgerRead[]): LifeDistribution[] {
  const groups = new Map<string, LedgerRead[]>();
  for (const e of entries) {
    if (!isLifeSample(e)) continue;
    const key = `${e.bladeType}\u0000${e.materialClass ?? 'unknown'}`;
    const list = groups.get(key) ?? [];
    list.push(e);
    groups.set(key, list);
  }
  const out: LifeDistribution[] = [];
  for (const [key, list] of groups) {
    const [bladeType, materialClass] = key.split('\u0000') as [string, string];
    const areas = list.map((e) => e.areaCm2).sort((a, b) => a - b);
    out.push({
      bladeType,
      materialClass,
      n: areas.length,
      machines: new Set(list.map((e) => e.machine)).size,
      meanCm2: mean(areas),
      p10Cm2: quantileSorted(areas, 0.1),
      p50Cm2: quantileSorted(areas, 0.5),
      p90Cm2: quantileSorted(areas, 0.9),
      stdCm2: areas.length > 1 ? standardDeviation(areas) : 0,
    });
  }
  return out.sort(
    (a, b) => a.bladeType.localeCompare(b.bladeType) || a.materialClass.localeCompare(b.materialClass),
  );
}
