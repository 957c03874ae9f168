import { SawBrainError } from '../core/errors.js';
import type { DatabaseName, SeriesRow, TelemetryStore } from '../core/ports.js';
import type { Seeds } from '../seeds/index.js';
import type { MachineDirectory } from './directory.js';
import { anonymise } from './market/anonymise.js';
import * as cv from './read/convert.js';
import { MarketReader } from './read/market.js';
import { checkRange, machinesOf, pagedRows } from './read/scope.js';
import type {
  AlgorithmsRead,
  BladeLifeRow,
  DatabasesReadApi,
  DemandRow,
  MachineFilter,
  MachineScope,
  OperationsRead,
  Page,
  PageRequest,
  Scope,
  SupplyChainRead,
  TimeRange,
} from './read-api.js';
import { latestSnapshot, queryAll, snapshotRows } from './store-read.js';
import type { Replacement } from './supplychain/forecast.js';
import { weeklyDemand } from './supplychain/forecast.js';
import { ledgerFromRow, lifeDistributions } from './supplychain/life.js';
import { DAY_MS, weekStart } from './time.js';

export interface ReaderDeps {
  store: TelemetryStore;
  directory: MachineDirectory;
  seeds: Seeds;
  /** smallest anonymised bucket, machines */
  minBucket: number;
}

const mapPage = <A, B>(p: Page<A>, f: (a: A) => B): Page<B> => ({
  items: p.items.map(f),
  ...(p.next ? { next: p.next } : {}),
});

/**
 * DatabasesReadApi over the TelemetryStore: the same code reads InfluxDB and the embedded store.
 * Scopes are resolved against the machine directory on every call.
 */
export class DatabaseReader implements DatabasesReadApi {
  readonly operations: OperationsRead;
  readonly supplyChain: SupplyChainRead;
  readonly market: MarketReader;
  readonly algorithms: AlgorithmsRead;

  constructor(private readonly d: ReaderDeps) {
    this.market = new MarketReader(d.store, d.directory);
    this.operations = {
      cuts: (s, r, o) => this.paged('operations', 'cut_record', s, r, o, cv.cutRow),
      states: (s, r, o) => this.paged('operations', 'state_span', s, r, o, cv.stateRow),
      utilisation: (s, r, o = {}) =>
        this.paged('operations', 'utilisation', s, r, o, cv.utilisationRow, { period: o.period ?? 'hour' }),
      energy: (s, r, o = {}) =>
        this.paged('operations', 'energy', s, r, o, cv.energyRow, { period: o.period ?? 'day' }),
      telemetry: async (s, machine, r, o = {}) => {
        const m = this.scoped(s, { machines: [machine] });
        if (!m.all && !m.ids.has(machine))
          throw new SawBrainError('NOT_FOUND', `no machine ${machine} in scope`);
        const page = await pagedRows(
          d.store,
          {
            db: 'operations',
            measurement: o.resolution === '1m' ? 'telemetry_1m' : 'telemetry',
            ...(o.fields?.length ? { fields: [...o.fields] } : {}),
          },
          r,
          { all: false, ids: new Set([machine]) },
          o,
        );
        return mapPage(page, (row) => ({
          ts: row.ts,
          tenant: row.tags.tenant ?? '',
          machine: row.tags.machine ?? '',
          values: Object.fromEntries(
            Object.entries(row.values).map(([k, v]) => [k, typeof v === 'number' ? v : null]),
          ),
        }));
      },
    };
    this.supplyChain = {
      bladeLedger: (s, r, o) => this.paged('supplychain', 'blade_ledger', s, r, o, cv.ledgerRow),
      bladeLife: (s, o) => this.bladeLife(s, o),
      replacements: async (s, o = {}) => {
        const { ts, rows } = await this.latest('supplychain', 'replacement', s, o);
        const until = ts + (o.horizonDays ?? 365) * DAY_MS;
        return rows
          .map(cv.replacementRow)
          .filter((r) => r.predictedAt <= until)
          .sort((a, b) => a.predictedAt - b.predictedAt);
      },
      demandForecast: (s, o) => this.demand(s, o),
      wearParts: async (s, o) =>
        (await this.latest('supplychain', 'wear_part', s, o)).rows.map(cv.wearPartRow),
    };
    this.algorithms = {
      rules: async (o = {}) => {
        const rows = await d.store.query({
          db: 'algorithms',
          measurement: 'rule_version',
          from: 0,
          to: Number.MAX_SAFE_INTEGER - 1,
          ...(o.rule ? { where: { rule: o.rule } } : {}),
        });
        return rows
          .map(cv.ruleVersionRow)
          .sort((a, b) => a.rule.localeCompare(b.rule) || a.version - b.version);
      },
      baselines: async (s, o) => (await this.latest('algorithms', 'baseline', s, o)).rows.map(cv.baselineRow),
      lifeModel: async (s, o) =>
        (await this.latest('algorithms', 'life_model', s, o)).rows.map(cv.lifeModelRow),
      warningEvents: (s, r, o) => this.paged('algorithms', 'warning_event', s, r, o, cv.warningEventRow),
      feedback: (s, r, o) => this.paged('algorithms', 'warning_feedback', s, r, o, cv.feedbackRow),
      rulePrecision: async () => {
        const ts = await latestSnapshot(d.store, 'algorithms', 'algorithms');
        if (ts === undefined) return [];
        return (await snapshotRows(d.store, 'algorithms', 'rule_precision', ts)).map(cv.precisionRow);
      },
      recommendations: async (s, o) =>
        (await this.latest('algorithms', 'recommendation', s, o)).rows.map(cv.recommendationRow),
    };
  }

  private scoped(scope: Scope, filter?: MachineFilter) {
    return machinesOf(scope, this.d.directory.list(), filter);
  }

  private async paged<T>(
    db: DatabaseName,
    measurement: string,
    scope: MachineScope,
    range: TimeRange,
    o: (MachineFilter & PageRequest) | undefined,
    convert: (r: SeriesRow) => T,
    where?: Record<string, string>,
  ): Promise<Page<T>> {
    const machines = this.scoped(scope, o);
    const page = await pagedRows(
      this.d.store,
      { db, measurement, ...(where ? { where } : {}) },
      range,
      machines,
      o,
    );
    return mapPage(page, convert);
  }

  /** Rows of the latest snapshot of a database's measurement, restricted to the scope. */
  private async latest(
    db: DatabaseName,
    measurement: string,
    scope: MachineScope,
    filter?: MachineFilter,
  ): Promise<{ ts: number; rows: SeriesRow[] }> {
    const machines = this.scoped(scope, filter);
    const ts = await latestSnapshot(this.d.store, db, db);
    if (ts === undefined) return { ts: 0, rows: [] };
    const rows = await snapshotRows(this.d.store, db, measurement, ts);
    return { ts, rows: machines.all ? rows : rows.filter((r) => machines.ids.has(r.tags.machine ?? '')) };
  }

  private async bladeLife(
    scope: Scope,
    o: { bladeType?: string; materialClass?: string } = {},
  ): Promise<BladeLifeRow[]> {
    const ts = await latestSnapshot(this.d.store, 'supplychain', 'supplychain');
    if (ts === undefined) return [];
    const keep = (r: BladeLifeRow) =>
      (!o.bladeType || r.bladeType === o.bladeType) &&
      (!o.materialClass || r.materialClass === o.materialClass);
    if (scope.kind === 'all' || scope.kind === 'anonymised') {
      const rows = (await snapshotRows(this.d.store, 'supplychain', 'blade_life', ts)).map((r) => ({
        ts: r.ts,
        bladeType: r.tags.bladeType ?? '',
        materialClass: r.tags.materialClass ?? '',
        n: Number(r.values.n ?? 0),
        machines: Number(r.values.machines ?? 0),
        meanCm2: Number(r.values.meanCm2 ?? 0),
        p10Cm2: Number(r.values.p10Cm2 ?? 0),
        p50Cm2: Number(r.values.p50Cm2 ?? 0),
        p90Cm2: Number(r.values.p90Cm2 ?? 0),
        stdCm2: Number(r.values.stdCm2 ?? 0),
      }));
      return rows.filter((r) => keep(r) && (scope.kind === 'all' || r.machines >= this.d.minBucket));
    }
    const machines = this.scoped(scope);
    const rows = await queryAll(this.d.store, {
      db: 'supplychain',
      measurement: 'blade_ledger',
      from: 0,
      to: ts + 1,
    });
    const entries = rows.map(ledgerFromRow).filter((e) => machines.all || machines.ids.has(e.machine));
    return lifeDistributions(entries)
      .map((d) => ({ ts, ...d }))
      .filter(keep);
  }

  private async demand(scope: Scope, o: { weeks?: number; region?: string } = {}): Promise<DemandRow[]> {
    const ts = await latestSnapshot(this.d.store, 'supplychain', 'supplychain');
    if (ts === undefined) return [];
    const reps: Replacement[] = (await snapshotRows(this.d.store, 'supplychain', 'replacement', ts)).map(
      cv.replacementRow,
    );
    const until = weekStart(ts) + (o.weeks ?? 52) * 7 * DAY_MS;
    const inWindow = reps.filter((r) => r.predictedAt < until && (!o.region || r.region === o.region));
    const modelOf = (m: string) => this.d.directory.get(m)?.model;
    const toRow = (d: ReturnType<typeof weeklyDemand>[number]): DemandRow => ({
      ts: d.weekStart,
      region: d.region,
      bladeType: d.bladeType,
      supplier: d.supplier,
      blades: d.blades,
      machines: d.machines,
      valueCny: d.valueCny,
      forecastAt: ts,
    });
    if (scope.kind !== 'anonymised') {
      const machines = this.scoped(scope);
      const mine = machines.all ? inWindow : inWindow.filter((r) => machines.ids.has(r.machine));
      return weeklyDemand(this.d.seeds, mine, modelOf).map(toRow);
    }
    // anonymised: per week, buckets of ≥ k machines over blade type → supplier → region
    const out: DemandRow[] = [];
    const weeks = new Map<number, Replacement[]>();
    for (const r of inWindow) {
      const w = weekStart(r.predictedAt);
      weeks.set(w, [...(weeks.get(w) ?? []), r]);
    }
    for (const [w, list] of [...weeks].sort((a, b) => a[0] - b[0])) {
      const withValue = weeklyDemand(this.d.seeds, list, modelOf);
      const price = new Map(
        withValue.map((d) => [`${d.region}|${d.bladeType}|${d.supplier}`, d.valueCny / d.blades]),
      );
      const { buckets } = anonymise(
        list.map((r) => ({
          machine: r.machine,
          key: [r.bladeType, r.supplier, r.region],
          values: { blades: 1, valueCny: price.get(`${r.region}|${r.bladeType}|${r.supplier}`) ?? 0 },
        })),
        this.d.minBucket,
      );
      for (const b of buckets) {
        out.push({
          ts: w,
          bladeType: b.key[0]!,
          supplier: b.key[1]!,
          region: b.key[2]!,
          blades: b.values.blades ?? 0,
          machines: b.machines,
          valueCny: b.values.valueCny ?? 0,
          forecastAt: ts,
        });
      }
    }
    return out;
  }
}

export { checkRange };
