import type { Point, TelemetryStore } from '../../core/ports.js';
import type { MachineInfo } from '../directory.js';
import { num, queryAll, str } from '../store-read.js';
import { DAY_MS, sizeBin } from '../time.js';
import { type AnonRecord, anonymise } from './anonymise.js';

/** Per-machine figures of one day, read from the operations database. */
export interface MachineDay {
  machine: string;
  wallS: number;
  offlineS: number;
  operatingS: number;
  cuttingS: number;
  cuts: number;
  areaCm2: number;
  energyKWh: number;
}

export interface CutDay {
  machine: string;
  materialClass: string;
  sectionShape: string;
  sizeBin: string;
  areaCm2: number;
}

export interface MarketDay {
  day: number;
  machines: Map<string, MachineDay>;
  cuts: CutDay[];
}

/** Reads one UTC day of per-machine utilisation, energy and cuts (all machines). */
export async function readMarketDay(store: TelemetryStore, day: number): Promise<MarketDay> {
  const range = { from: day, to: day + DAY_MS };
  const [util, energy, cuts] = await Promise.all([
    queryAll(store, { db: 'operations', measurement: 'utilisation', ...range, where: { period: 'day' } }),
    queryAll(store, {
      db: 'operations',
      measurement: 'energy',
      ...range,
      where: { period: 'day' },
      fields: ['totalKWh'],
    }),
    queryAll(store, {
      db: 'operations',
      measurement: 'cut_record',
      ...range,
      fields: ['materialClass', 'sectionShape', 'sizeMm', 'areaCm2'],
    }),
  ]);
  const machines = new Map<string, MachineDay>();
  for (const r of util) {
    const v = r.values;
    machines.set(r.tags.machine ?? '', {
      machine: r.tags.machine ?? '',
      wallS: num(v.wallS),
      offlineS: num(v.offlineS),
      operatingS: num(v.cuttingS) + num(v.runningS),
      cuttingS: num(v.cuttingS),
      cuts: num(v.cuts),
      areaCm2: num(v.areaCm2),
      energyKWh: 0,
    });
  }
  for (const r of energy) {
    const m = machines.get(r.tags.machine ?? '');
    if (m) m.energyKWh = num(r.values.totalKWh);
  }
  return {
    day,
    machines,
    cuts: cuts.map((r) => ({
      machine: r.tags.machine ?? '',
      materialClass: str(r.values.materialClass) ?? 'unknown',
      sectionShape: str(r.values.sectionShape) ?? 'unknown',
      sizeBin: sizeBin(num(r.values.sizeMm)),
      areaCm2: num(r.values.areaCm2),
    })),
  };
}

/** Dimensions of the identified market rows. */
export const MARKET_TAGS = ['region', 'industry', 'model', 'manufacturer'] as const;
/** Dimensions of the anonymised rows, most general first (see anonymise.ts). */
export const ANON_TAGS = ['region', 'industry'] as const;
export const ANON_MATERIAL_TAGS = ['region', 'industry', 'materialClass', 'sectionShape', 'sizeBin'] as const;

const isActive = (d: MachineDay | undefined) => d !== undefined && d.wallS - d.offlineS > 0;

function group<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k) ?? [];
    list.push(it);
    m.set(k, list);
  }
  return m;
}

const dimsOf = (i: MachineInfo) => ({
  region: i.region,
  industry: i.industry,
  model: i.model,
  manufacturer: i.tenant,
});

/** The identified market rows of one day for the given installed machines. */
export function marketPoints(installed: readonly MachineInfo[], d: MarketDay): Point[] {
  const out: Point[] = [];
  const byKey = group(installed, (i) => JSON.stringify(dimsOf(i)));
  for (const [key, list] of byKey) {
    const tags = JSON.parse(key) as Record<string, string>;
    const days = list.map((i) => d.machines.get(i.machineId)).filter(isActive) as MachineDay[];
    out.push({
      db: 'market',
      measurement: 'installed_base',
      tags,
      fields: { installed: list.length, active: days.length },
      ts: d.day,
    });
    if (days.length === 0) continue;
    out.push({ db: 'market', measurement: 'utilisation_trend', tags, fields: sumDays(days), ts: d.day });
  }
  const info = new Map(installed.map((i) => [i.machineId, i]));
  const cuts = d.cuts.filter((c) => info.has(c.machine));
  const byMix = group(cuts, (c) => {
    const i = info.get(c.machine)!;
    return JSON.stringify({
      region: i.region,
      industry: i.industry,
      materialClass: c.materialClass,
      sectionShape: c.sectionShape,
      sizeBin: c.sizeBin,
    });
  });
  for (const [key, list] of byMix) {
    out.push({
      db: 'market',
      measurement: 'material_mix',
      tags: JSON.parse(key) as Record<string, string>,
      fields: {
        machines: new Set(list.map((c) => c.machine)).size,
        cuts: list.length,
        areaCm2: list.reduce((s, c) => s + c.areaCm2, 0),
      },
      ts: d.day,
    });
  }
  return out;
}

function sumDays(days: readonly MachineDay[]): Record<string, number> {
  const f = {
    machines: days.length,
    wallS: 0,
    operatingS: 0,
    cuttingS: 0,
    cuts: 0,
    areaCm2: 0,
    energyKWh: 0,
  };
  for (const x of days) {
    f.wallS += x.wallS;
    f.operatingS += x.operatingS;
    f.cuttingS += x.cuttingS;
    f.cuts += x.cuts;
    f.areaCm2 += x.areaCm2;
    f.energyKWh += x.energyKWh;
  }
  return f;
}

/**
 * The anonymised rows of one day (innovation tier): region × industry buckets of at least `k`
 * machines, merged or suppressed as anonymise() does; no machine, plant, model or manufacturer.
 */
export function anonymisedPoints(installed: readonly MachineInfo[], d: MarketDay, k: number): Point[] {
  const out: Point[] = [];
  const key = (i: MachineInfo) => [i.region, i.industry];
  const tagsOf = (k0: readonly string[], names: readonly string[]) =>
    Object.fromEntries(names.map((n, idx) => [n, k0[idx]!]));
  const base: AnonRecord[] = installed.map((i) => ({
    machine: i.machineId,
    key: key(i),
    values: { installed: 1, active: isActive(d.machines.get(i.machineId)) ? 1 : 0 },
  }));
  for (const b of anonymise(base, k).buckets) {
    out.push({
      db: 'market',
      measurement: 'anon_installed_base',
      tags: tagsOf(b.key, ANON_TAGS),
      fields: { installed: b.values.installed ?? 0, active: b.values.active ?? 0 },
      ts: d.day,
    });
  }
  const active: AnonRecord[] = installed
    .filter((i) => isActive(d.machines.get(i.machineId)))
    .map((i) => {
      const { machine: _m, ...values } = d.machines.get(i.machineId)!;
      return { machine: i.machineId, key: key(i), values };
    });
  for (const b of anonymise(active, k).buckets) {
    const { offlineS: _o, ...values } = b.values;
    out.push({
      db: 'market',
      measurement: 'anon_utilisation_trend',
      tags: tagsOf(b.key, ANON_TAGS),
      fields: { ...values, machines: b.machines },
      ts: d.day,
    });
  }
  const info = new Map(installed.map((i) => [i.machineId, i]));
  const mix: AnonRecord[] = d.cuts
    .filter((c) => info.has(c.machine))
    .map((c) => {
      const i = info.get(c.machine)!;
      return {
        machine: c.machine,
        key: [i.region, i.industry, c.materialClass, c.sectionShape, c.sizeBin],
        values: { cuts: 1, areaCm2: c.areaCm2 },
      };
    });
  for (const b of anonymise(mix, k).buckets) {
    out.push({
      db: 'market',
      measurement: 'anon_material_mix',
      tags: tagsOf(b.key, ANON_MATERIAL_TAGS),
      fields: { machines: b.machines, cuts: b.values.cuts ?? 0, areaCm2: b.values.areaCm2 ?? 0 },
      ts: d.day,
    });
  }
  return out;
}
