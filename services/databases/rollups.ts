import type { DatabaseName, Point, TelemetryStore } from '../core/ports.js';
import type { Seeds } from '../seeds/index.js';
import {
  type LearnedState,
  modelPoints,
  precisionPoints,
  recommendationPoints,
  ruleVersionPoints,
} from './algorithms/snapshot.js';
import type { StreamBuilder } from './builder.js';
import type { MachineDirectory } from './directory.js';
import { anonymisedPoints, marketPoints, readMarketDay } from './market/rollup.js';
import { rollupOperations } from './operations/rollup.js';
import { num, queryAll, SNAPSHOT } from './store-read.js';
import {
  demandPoint,
  type ForecastMachine,
  predictReplacements,
  replacementPoint,
  weeklyDemand,
} from './supplychain/forecast.js';
import { type LedgerRead, ledgerFromRow, lifeDistributions } from './supplychain/life.js';
import { hoursOf, type MachineHours, wearPartPoints } from './supplychain/wear-parts.js';
import { DAY_MS, floorTo } from './time.js';

export interface RollupOptions {
  seeds: Seeds;
  store: TelemetryStore;
  builder: StreamBuilder;
  directory: MachineDirectory;
  gridKgPerKWh: number;
  /** smallest anonymised bucket (machines) */
  minBucket: number;
  /** forecast horizon, days */
  horizonDays: number;
  /** device time between two snapshots of the supply-chain and algorithms databases */
  snapshotEveryMs: number;
  /** the analysis service's learned state, when it runs in this process */
  learned?: () => LearnedState | undefined;
  /** told about every batch written (metrics) */
  onWrite?: (points: readonly Point[]) => void;
}

export interface RollupResult {
  horizon: number;
  points: number;
  snapshot: boolean;
  marketDays: number;
}

const RECENT_MS = 7 * DAY_MS;
const RECOMMENDATION_MS = 30 * DAY_MS;

/**
 * The periodic side of the databases. One run, at fleet device time `horizon`:
 *  1. writes what the stream builder held back (open spans, minutes, ledger entries);
 *  2. re-derives utilisation and energy of every machine for the periods touched since the last run;
 *  3. rolls up the market for every closed day touched;
 *  4. every `snapshotEveryMs` (and at the end): the supply-chain snapshot (blade life,
 *     replacements, demand, wear parts) and the algorithms snapshot (rules, baselines, model
 *     state, rule precision, recommendations), each closed by a `snapshot` marker.
 */
export class Rollups {
  private lastSnapshot = Number.NEGATIVE_INFINITY;
  /** earliest day start the market must roll up again */
  private marketFrom: number | undefined;

  constructor(private readonly o: RollupOptions) {}

  private async write(points: Point[]): Promise<number> {
    for (let i = 0; i < points.length; i += 5000) await this.o.store.write(points.slice(i, i + 5000));
    this.o.onWrite?.(points);
    return points.length;
  }

  async run(final = false, horizon: number = this.o.builder.horizon): Promise<RollupResult> {
    const res: RollupResult = { horizon, points: 0, snapshot: false, marketDays: 0 };
    if (!Number.isFinite(horizon)) return res;
    const { builder, store } = this.o;
    // checkpoints first: they keep the cuts still waiting for telemetry, which a final flush forces out
    const checkpoints = builder.checkpoints();
    res.points += await this.write([...builder.flush(horizon, final), ...checkpoints]);

    for (const book of builder.allBooks()) {
      const from = book.dirtyFrom;
      if (from === undefined) continue;
      book.dirtyFrom = undefined;
      const day = floorTo(from, DAY_MS);
      if (this.marketFrom === undefined || day < this.marketFrom) this.marketFrom = day;
      const points = await rollupOperations(
        store,
        { info: book.info, firstSeen: book.firstSeen, coverageEnd: book.coverageEnd(horizon) },
        from,
        this.o.gridKgPerKWh,
      );
      res.points += await this.write(points);
    }

    // market: closed days only (the current day too at the end), so a day's buckets are final
    const closedUntil = floorTo(horizon, DAY_MS) + (final ? DAY_MS : 0);
    if (this.marketFrom !== undefined && this.marketFrom < closedUntil) {
      const installed = this.o.directory.list();
      for (let day = this.marketFrom; day < closedUntil; day += DAY_MS) {
        const d = await readMarketDay(store, day);
        res.points += await this.write([
          ...marketPoints(installed, d),
          ...anonymisedPoints(installed, d, this.o.minBucket),
        ]);
        res.marketDays++;
      }
      this.marketFrom = closedUntil;
      res.points += await this.write([this.marker('market', 'market', horizon, res.marketDays)]);
    }

    if (final || horizon - this.lastSnapshot >= this.o.snapshotEveryMs) {
      this.lastSnapshot = horizon;
      res.points += await this.write(await this.supplyChain(horizon));
      res.points += await this.write(await this.algorithms(horizon));
      res.snapshot = true;
    }
    return res;
  }

  private marker(db: DatabaseName, kind: string, ts: number, items: number): Point {
    return { db, measurement: SNAPSHOT, tags: { of: kind }, fields: { items }, ts };
  }

  /** Blade life, replacements, demand and wear parts at `now`. */
  private async supplyChain(now: number): Promise<Point[]> {
    const { store, seeds, directory } = this.o;
    const ledger = (
      await queryAll(store, { db: 'supplychain', measurement: 'blade_ledger', from: 0, to: now + 1 })
    ).map(ledgerFromRow);
    const dists = lifeDistributions(ledger);
    const out: Point[] = dists.map((d) => ({
      db: 'supplychain',
      measurement: 'blade_life',
      tags: { bladeType: d.bladeType, materialClass: d.materialClass },
      fields: {
        n: d.n,
        machines: d.machines,
        meanCm2: d.meanCm2,
        p10Cm2: d.p10Cm2,
        p50Cm2: d.p50Cm2,
        p90Cm2: d.p90Cm2,
        stdCm2: d.stdCm2,
      },
      ts: now,
    }));

    const openBlade = new Map<string, LedgerRead>();
    for (const e of ledger) {
      if (!e.open) continue;
      const prev = openBlade.get(e.machine);
      if (!prev || e.mountedAt > prev.mountedAt) openBlade.set(e.machine, e);
    }
    const recent = await queryAll(store, {
      db: 'operations',
      measurement: 'cut_record',
      from: now - RECENT_MS,
      to: now + 1,
      fields: ['areaCm2'],
    });
    const areaRecent = new Map<string, number>();
    for (const r of recent) {
      const m = r.tags.machine ?? '';
      areaRecent.set(m, (areaRecent.get(m) ?? 0) + num(r.values.areaCm2));
    }
    const learned = new Map((this.o.learned?.()?.machines ?? []).map((m) => [m.machine, m]));
    const machines: ForecastMachine[] = [];
    for (const book of this.o.builder.allBooks()) {
      const id = book.info.machineId;
      const days = Math.max(
        1 / 24,
        (Math.min(now, book.coverageEnd(now)) - Math.max(book.firstSeen, now - RECENT_MS)) / DAY_MS,
      );
      const blade = openBlade.get(id);
      const l = learned.get(id)?.blade;
      const factor = blade?.grade ? (seeds.lookup.material.get(blade.grade)?.lifeFactor ?? 1) : 1;
      machines.push({
        info: book.info,
        blade,
        areaPerDayCm2: (areaRecent.get(id) ?? 0) / days,
        ...(l?.remaining
          ? {
              estimate: {
                bladeId: l.bladeId,
                remainingCm2: l.remaining.areaCm2 * factor,
                lowCm2: l.remaining.lowCm2 * factor,
                highCm2: l.remaining.highCm2 * factor,
              },
            }
          : {}),
      });
    }
    const reps = predictReplacements(seeds, machines, dists, now, this.o.horizonDays);
    out.push(...reps.map((r) => replacementPoint(r, now)));
    const modelOf = (m: string) => directory.get(m)?.model;
    out.push(...weeklyDemand(seeds, reps, modelOf).map((d) => demandPoint(d, now)));
    out.push(...wearPartPoints(seeds.wearParts, await this.hours(now), now));
    out.push(this.marker('supplychain', 'supplychain', now, reps.length));
    return out;
  }

  private async hours(now: number): Promise<MachineHours[]> {
    const { store } = this.o;
    const [days, raised] = await Promise.all([
      queryAll(store, {
        db: 'operations',
        measurement: 'utilisation',
        from: 0,
        to: now + 1,
        where: { period: 'day' },
        fields: ['cuttingS', 'wallS', 'offlineS'],
      }),
      queryAll(store, {
        db: 'algorithms',
        measurement: 'warning_event',
        from: 0,
        to: now + 1,
        where: { action: 'raise' },
      }),
    ]);
    const by = new Map<string, MachineHours & { warnings: Map<string, number> }>();
    const get = (tenant: string, machine: string) => {
      let h = by.get(machine);
      if (!h) {
        h = {
          tenant,
          machine,
          cuttingH: 0,
          poweredH: 0,
          cuttingHPerDay: 0,
          poweredHPerDay: 0,
          warnings: new Map(),
        };
        by.set(machine, h);
      }
      return h;
    };
    for (const r of days) {
      const h = get(r.tags.tenant ?? '', r.tags.machine ?? '');
      const cutting = hoursOf(num(r.values.cuttingS));
      const powered = hoursOf(num(r.values.wallS) - num(r.values.offlineS));
      h.cuttingH += cutting;
      h.poweredH += powered;
      if (r.ts >= now - RECENT_MS) {
        h.cuttingHPerDay += cutting / 7;
        h.poweredHPerDay += powered / 7;
      }
    }
    for (const r of raised) {
      const h = by.get(r.tags.machine ?? '');
      const type = r.tags.type ?? '';
      if (h) h.warnings.set(type, (h.warnings.get(type) ?? 0) + 1);
    }
    return [...by.values()];
  }

  /** Rules, baselines, model state, rule precision and recommendations at `now`. */
  private async algorithms(now: number): Promise<Point[]> {
    const { store, seeds } = this.o;
    const learned = this.o.learned?.();
    const versions =
      learned?.ruleVersions ?? seeds.rules.map((rule) => ({ rule, createdAt: null, author: null }));
    const [raised, feedback, cuts] = await Promise.all([
      queryAll(store, {
        db: 'algorithms',
        measurement: 'warning_event',
        from: 0,
        to: now + 1,
        where: { action: 'raise' },
      }),
      queryAll(store, { db: 'algorithms', measurement: 'warning_feedback', from: 0, to: now + 1 }),
      queryAll(store, {
        db: 'operations',
        measurement: 'cut_record',
        from: now - RECOMMENDATION_MS,
        to: now + 1,
      }),
    ]);
    const out = [
      ...ruleVersionPoints(versions),
      ...(learned ? modelPoints(learned, now) : []),
      ...precisionPoints(raised, feedback, now),
      ...recommendationPoints(seeds, cuts, (m) => this.o.directory.get(m)?.model, now),
    ];
    out.push(this.marker('algorithms', 'algorithms', now, out.length));
    return out;
  }
}
