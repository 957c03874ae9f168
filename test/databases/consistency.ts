import { expect } from 'vitest';
import type { SeriesRow, TelemetryStore } from '../../services/core/ports.js';
import type { DatabasesService, MachineScope, Page, TimeRange } from '../../services/databases/index.js';
import { TIME_CATEGORIES } from '../../services/databases/rows.js';
import { queryAll } from '../../services/databases/store-read.js';
import { DAY, type Scenario } from './scenario.js';

const ALL: MachineScope = { kind: 'all' };

async function every<T>(fetch: (cursor?: string) => Promise<Page<T>>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await fetch(cursor);
    out.push(...page.items);
    cursor = page.next;
  } while (cursor);
  return out;
}

const sumBy = <T>(rows: readonly T[], key: (r: T) => string, value: (r: T) => number) => {
  const m = new Map<string, number>();
  for (const r of rows) m.set(key(r), (m.get(key(r)) ?? 0) + value(r));
  return m;
};

const close = (a: number, b: number, rel: number, what: string) =>
  expect(Math.abs(a - b), `${what}: ${a} vs ${b}`).toBeLessThanOrEqual(
    rel * Math.max(1, Math.abs(a), Math.abs(b)),
  );

export interface Figures {
  machines: number;
  cuts: number;
  ledgerEntries: number;
  hours: number;
  kWh: number;
  replacements: number;
  demandBlades: number;
  anonRows: number;
}

/**
 * The consistency checks across the four databases, through the read interface (and the
 * raw data ingest stored, as the independent side):
 *  1. cut areas per machine sum to the blade ledger;
 *  2. utilisation states cover 100 % of wall time per machine;
 *  3. energy per cut sums to the machine's energy;
 *  4. forecast demand matches the predicted replacements;
 *  5. anonymised market aggregates contain no identifiers and no bucket below 5.
 */
export async function checkConsistency(
  s: Scenario,
  svc: DatabasesService,
  store: TelemetryStore,
): Promise<Figures> {
  const api = svc.reader;
  const range: TimeRange = { from: s.from - DAY, to: s.to + DAY };
  const ids = s.machines.map((m) => m.machineId);

  // ---- 1. cut areas ↔ blade ledger (and ↔ the raw cut messages ingest stored)
  const cuts = await every((cursor) =>
    api.operations.cuts(ALL, range, { limit: 2000, ...(cursor ? { cursor } : {}) }),
  );
  const ledger = await every((cursor) =>
    api.supplyChain.bladeLedger(ALL, range, { limit: 500, ...(cursor ? { cursor } : {}) }),
  );
  const rawCuts = await queryAll(store, {
    db: 'operations',
    measurement: 'cut',
    ...range,
    fields: ['areaCm2'],
  });
  expect(cuts.length).toBe(rawCuts.length);
  expect(new Set(cuts.map((c) => `${c.machine}|${c.cutId}`)).size).toBe(cuts.length);
  const cutArea = sumBy(
    cuts,
    (c) => c.machine,
    (c) => c.areaCm2,
  );
  const ledgerArea = sumBy(
    ledger,
    (e) => e.machine,
    (e) => e.areaCm2,
  );
  const rawArea = sumBy(
    rawCuts,
    (r: SeriesRow) => r.tags.machine!,
    (r) => r.values.areaCm2 as number,
  );
  for (const id of ids) {
    expect(cutArea.get(id) ?? 0, id).toBeGreaterThan(0);
    close(ledgerArea.get(id) ?? 0, cutArea.get(id)!, 1e-9, `${id} ledger area`);
    close(rawArea.get(id) ?? 0, cutArea.get(id)!, 1e-9, `${id} raw cut area`);
  }
  expect(
    sumBy(
      ledger,
      (e) => e.machine,
      (e) => e.cuts,
    ),
  ).toEqual(
    sumBy(
      cuts,
      (c) => c.machine,
      () => 1,
    ),
  );
  // blades followed from mount to dismount: the controller's own count agrees with the ledger
  const followed = ledger.filter((e) => !e.open && e.reportedAreaCm2 !== undefined && e.mountedAt > s.from);
  expect(followed.length).toBeGreaterThan(0);
  for (const e of followed) close(e.reportedAreaCm2!, e.areaCm2, 0.02, `${e.bladeId} reported area`);
  // at most one blade on the wheels per machine
  for (const id of ids)
    expect(ledger.filter((e) => e.machine === id && e.open).length, id).toBeLessThanOrEqual(1);

  // ---- 2. utilisation covers 100 % of wall time
  const spans = await every((cursor) =>
    api.operations.states(ALL, range, { limit: 5000, ...(cursor ? { cursor } : {}) }),
  );
  const hours = await every((cursor) =>
    api.operations.utilisation(ALL, range, { period: 'hour', limit: 5000, ...(cursor ? { cursor } : {}) }),
  );
  const days = await every((cursor) =>
    api.operations.utilisation(ALL, range, { period: 'day', ...(cursor ? { cursor } : {}) }),
  );
  for (const id of ids) {
    const mine = spans.filter((x) => x.machine === id).sort((a, b) => a.ts - b.ts || a.end - b.end);
    expect(mine[0]!.ts, `${id} timeline starts at boot`).toBe(s.from);
    for (let i = 1; i < mine.length; i++)
      expect(mine[i]!.ts, `${id} span ${i} contiguous`).toBe(mine[i - 1]!.end);
    expect(mine.filter((x) => x.open).length, `${id} one open span`).toBe(1);
    const end = mine[mine.length - 1]!.end;
    expect(end, `${id} timeline reaches the end`).toBeGreaterThanOrEqual(
      s.to - s.config.databases.silenceS * 1000,
    );
    const wall = end - s.from;
    const h = hours.filter((x) => x.machine === id);
    for (const row of [...h, ...days.filter((x) => x.machine === id)]) {
      const sum = TIME_CATEGORIES.reduce((acc, k) => acc + row[k], 0);
      close(sum, row.wallS, 1e-9, `${id} ${row.period} ${row.ts} categories`);
      expect(row.wallS).toBeLessThanOrEqual(row.period === 'hour' ? 3600 : 86_400);
    }
    for (const row of h)
      if (row.ts >= s.from && row.ts + 3_600_000 <= end) expect(row.wallS, `${id} full hour`).toBe(3600);
    close(h.reduce((a, r) => a + r.wallS, 0) * 1000, wall, 1e-9, `${id} hours cover wall time`);
    close(
      days.filter((x) => x.machine === id).reduce((a, r) => a + r.wallS, 0) * 1000,
      wall,
      1e-9,
      `${id} days`,
    );
    expect(h.reduce((a, r) => a + r.cuttingS, 0)).toBeGreaterThan(0);
  }

  // ---- 3. energy per cut sums to the machine's energy
  const energyDays = await every((cursor) =>
    api.operations.energy(ALL, range, { period: 'day', ...(cursor ? { cursor } : {}) }),
  );
  const energyShifts = await every((cursor) =>
    api.operations.energy(ALL, range, { period: 'shift', limit: 2000, ...(cursor ? { cursor } : {}) }),
  );
  const rawPower = await queryAll(store, {
    db: 'operations',
    measurement: 'telemetry',
    ...range,
    fields: ['power'],
  });
  const rawKWh = sumBy(
    rawPower,
    (r) => r.tags.machine!,
    (r) => ((r.values.power as number) * s.sampleIntervalMs) / 3_600_000,
  );
  let kWh = 0;
  for (const id of ids) {
    const d = energyDays.filter((x) => x.machine === id);
    const total = d.reduce((a, r) => a + r.totalKWh, 0);
    kWh += total;
    close(total, rawKWh.get(id)!, 1e-9, `${id} machine energy = ∫P dt of the raw telemetry`);
    close(
      energyShifts.filter((x) => x.machine === id).reduce((a, r) => a + r.totalKWh, 0),
      total,
      1e-9,
      `${id} shifts`,
    );
    const mineCuts = cuts.filter((c) => c.machine === id);
    const perCut = mineCuts.reduce((a, c) => a + c.energyKWh, 0);
    close(
      d.reduce((a, r) => a + r.cutKWh, 0),
      perCut,
      1e-9,
      `${id} Σ energy per cut`,
    );
    // each cut's own energy is the telemetry's ∫P dt over its window
    close(
      mineCuts.reduce((a, c) => a + c.telemetryEnergyKWh, 0),
      perCut,
      1e-6,
      `${id} cut energy vs telemetry`,
    );
    // cut energy + the rest = the machine's energy; cuts happen in state running
    close(
      d.reduce((a, r) => a + r.nonCutKWh, 0) + mineCuts.reduce((a, c) => a + c.telemetryEnergyKWh, 0),
      total,
      1e-9,
      id,
    );
    const running = d.reduce((a, r) => a + (r.byState.running ?? 0), 0);
    expect(perCut, `${id} cut energy within running energy`).toBeLessThanOrEqual(running * (1 + 1e-6));
    for (const r of d)
      close(
        Object.values(r.byState).reduce((a, x) => a + x, 0),
        r.totalKWh,
        1e-9,
        `${id} by state`,
      );
    for (const r of d) close(r.co2Kg, r.totalKWh * s.config.databases.gridKgPerKWh, 1e-12, `${id} CO₂`);
  }

  // ---- 4. forecast demand = predicted replacements
  const reps = await api.supplyChain.replacements(ALL);
  const demand = await api.supplyChain.demandForecast(ALL);
  expect(reps.length).toBeGreaterThan(0);
  expect(demand.reduce((a, d) => a + d.blades, 0)).toBe(reps.length);
  const weekOf = (ts: number) => Math.floor((ts - 4 * DAY) / (7 * DAY)) * 7 * DAY + 4 * DAY;
  const byBucket = sumBy(
    reps,
    (r) => `${weekOf(r.predictedAt)}|${r.region}|${r.bladeType}|${r.supplier}`,
    () => 1,
  );
  for (const d of demand)
    expect(d.blades, JSON.stringify(d)).toBe(
      byBucket.get(`${d.ts}|${d.region}|${d.bladeType}|${d.supplier}`),
    );
  for (const r of reps) {
    expect(ids).toContain(r.machine);
    const open = ledger.find((e) => e.machine === r.machine && e.open);
    if (r.n === 1) expect(r.bladeId).toBe(open?.bladeId);
    expect(r.predictedAt).toBeGreaterThanOrEqual(reps[0]!.ts);
  }
  // a manufacturer's demand is its own machines' replacements
  const tenant = s.machines[0]!.tenant;
  const own = await api.supplyChain.demandForecast({ kind: 'tenant', tenant });
  expect(own.reduce((a, d) => a + d.blades, 0)).toBe(reps.filter((r) => r.tenant === tenant).length);

  // ---- the market and the supply chain agree with operations
  const trend = await api.market.utilisationTrend(ALL, range, { by: [] });
  expect(trend.reduce((a, r) => a + r.cuts, 0)).toBe(cuts.length);
  close(
    trend.reduce((a, r) => a + r.areaCm2, 0),
    cuts.reduce((a, c) => a + c.areaCm2, 0),
    1e-9,
    'market area',
  );
  close(
    trend.reduce((a, r) => a + r.energyKWh, 0),
    kWh,
    1e-9,
    'market energy',
  );
  // a manufacturer and a plant see their own installed base
  const plant = s.machines[0]!.plant!;
  for (const [scope, expected] of [
    [
      { kind: 'tenant', tenant: s.machines[0]!.tenant },
      s.seeds.machines.filter((m) => m.tenant === s.machines[0]!.tenant),
    ],
    [{ kind: 'plant', plant }, s.seeds.machines.filter((m) => m.plant === plant)],
  ] as const) {
    const base = await api.market.installedBase(scope, range, { by: [] });
    expect(base.length).toBeGreaterThan(0);
    for (const row of base) expect(row.installed, JSON.stringify(scope)).toBe(expected.length);
  }
  const mix = await api.market.materials(ALL, range, { by: ['region'] });
  expect(mix.reduce((a, r) => a + r.cuts, 0)).toBe(cuts.length);
  const parts = await api.supplyChain.wearParts(ALL);
  expect(parts.length).toBe(ids.length * s.seeds.wearParts.length);
  for (const p of parts.filter((x) => s.seeds.wearParts.find((w) => w.id === x.part)?.clock === 'cutting')) {
    const cuttingH = days.filter((d) => d.machine === p.machine).reduce((a, d) => a + d.cuttingS, 0) / 3600;
    close(p.runningHours, cuttingH, 1e-9, `${p.machine} ${p.part} hours`);
  }
  for (const l of await api.supplyChain.bladeLife(ALL)) {
    expect(l.n).toBeGreaterThan(0);
    expect(l.p10Cm2 <= l.p50Cm2 && l.p50Cm2 <= l.p90Cm2).toBe(true);
  }
  const rules = await api.algorithms.rules();
  expect(new Set(rules.map((r) => `${r.rule}@${r.version}`))).toEqual(
    new Set(s.seeds.rules.map((r) => `${r.id}@${r.version}`)),
  );
  const recs = await api.algorithms.recommendations(ALL);
  expect(recs.length).toBeGreaterThan(0);
  for (const r of recs) expect(r.followed).toBeLessThanOrEqual(r.cuts);

  // ---- 5. anonymised market: no identifiers, no bucket below 5
  const anonymised = { kind: 'anonymised' } as const;
  const anon = {
    installed: await api.market.installedBase(anonymised, range),
    utilisation: await api.market.utilisationTrend(anonymised, range),
    byRegion: await api.market.utilisationTrend(anonymised, range, { by: ['region'] }),
    materials: await api.market.materials(anonymised, range),
    demand: await api.supplyChain.demandForecast(anonymised),
    life: await api.supplyChain.bladeLife(anonymised),
  };
  expect(anon.installed.length).toBeGreaterThan(0);
  expect(anon.utilisation.length).toBeGreaterThan(0);
  const identifiers = [
    ...s.seeds.machines.flatMap((m) => [m.machineId, m.serial, m.plant]),
    ...s.seeds.plants.map((p) => p.name),
    ...s.seeds.tenants.flatMap((t) => [t.slug, t.name]),
    ...s.seeds.models.map((m) => m.id),
  ];
  const text = JSON.stringify(anon);
  for (const id of identifiers) expect(text.includes(`"${id}"`), `anonymised output names ${id}`).toBe(false);
  for (const row of anon.installed) expect(row.installed, JSON.stringify(row)).toBeGreaterThanOrEqual(5);
  for (const row of [...anon.utilisation, ...anon.byRegion, ...anon.materials, ...anon.demand, ...anon.life])
    expect(row.machines, JSON.stringify(row)).toBeGreaterThanOrEqual(5);
  for (const row of anon.installed)
    expect(Object.keys(row).sort()).toEqual(['active', 'industry', 'installed', 'region', 'ts']);
  await expect(api.market.installedBase(anonymised, range, { by: ['manufacturer'] })).rejects.toThrow(
    /anonymised/,
  );
  await expect(api.operations.cuts(anonymised as never, range)).rejects.toThrow(/anonymised/);
  // the anonymised installed base still counts every machine it does not suppress
  const identified = await api.market.installedBase(ALL, range, { by: [] });
  const anonTotal = sumBy(
    anon.installed,
    (r) => String(r.ts),
    (r) => r.installed,
  );
  for (const row of identified) expect(anonTotal.get(String(row.ts)) ?? 0).toBeLessThanOrEqual(row.installed);

  return {
    machines: ids.length,
    cuts: cuts.length,
    ledgerEntries: ledger.length,
    hours: hours.length,
    kWh,
    replacements: reps.length,
    demandBlades: demand.reduce((a, d) => a + d.blades, 0),
    anonRows: anon.installed.length + anon.utilisation.length + anon.materials.length,
  };
}
