import { SawBrainError } from '../../core/errors.js';
import type { SeriesRow, TelemetryStore } from '../../core/ports.js';
import type { MachineDirectory } from '../directory.js';
import { marketPoints, readMarketDay } from '../market/rollup.js';
import type {
  InstalledBaseRow,
  MarketDimension,
  MarketRead,
  MaterialMixRow,
  Scope,
  TimeRange,
  UtilisationTrendRow,
} from '../read-api.js';
import { num, queryAll } from '../store-read.js';
import { DAY_MS, floorTo } from '../time.js';
import { checkRange } from './scope.js';

const ALL_DIMS: readonly MarketDimension[] = ['region', 'industry', 'model', 'manufacturer'];
const ANON_DIMS = new Set(['region', 'industry']);

interface Row {
  ts: number;
  tags: Record<string, string>;
  values: Record<string, number>;
}

/** Sums rows by (ts, chosen tags). */
function regroup(rows: readonly Row[], by: readonly string[], extraKeys: readonly string[] = []): Row[] {
  const out = new Map<string, Row>();
  for (const r of rows) {
    const tags: Record<string, string> = {};
    for (const k of [...by, ...extraKeys]) tags[k] = r.tags[k] ?? '';
    const id = `${r.ts}|${JSON.stringify(tags)}`;
    let g = out.get(id);
    if (!g) {
      g = { ts: r.ts, tags, values: {} };
      out.set(id, g);
    }
    for (const [k, v] of Object.entries(r.values)) g.values[k] = (g.values[k] ?? 0) + v;
  }
  return [...out.values()].sort(
    (a, b) => a.ts - b.ts || JSON.stringify(a.tags).localeCompare(JSON.stringify(b.tags)),
  );
}

const numeric = (r: SeriesRow): Row => ({
  ts: r.ts,
  tags: r.tags,
  values: Object.fromEntries(Object.entries(r.values).map(([k, v]) => [k, num(v)])),
});

/**
 * The market database, read side. The anonymised tier reads only the `anon_*` measurements
 * (buckets of ≥ k machines, region × industry at most); admin reads the identified rows; a
 * manufacturer its own (manufacturer = tenant); a plant or machine list gets aggregates
 * computed from its own machines' operations rows.
 */
export class MarketReader implements MarketRead {
  constructor(
    private readonly store: TelemetryStore,
    private readonly directory: MachineDirectory,
  ) {}

  private dims(scope: Scope, by: readonly string[] | undefined, anonDefault: readonly string[]): string[] {
    if (scope.kind === 'anonymised') {
      const dims = [...(by ?? anonDefault)];
      const bad = dims.filter((d) => !ANON_DIMS.has(d));
      if (bad.length > 0) {
        throw new SawBrainError('FORBIDDEN', `the anonymised tier cannot group by ${bad.join(', ')}`);
      }
      return dims;
    }
    return [...(by ?? ALL_DIMS)];
  }

  /** Rows of an identified or anonymised measurement for a scope, before regrouping. */
  private async rows(scope: Scope, measurement: string, range: TimeRange): Promise<Row[]> {
    checkRange(range);
    const q = { db: 'market' as const, from: range.from, to: range.to };
    switch (scope.kind) {
      case 'anonymised':
        return (await queryAll(this.store, { ...q, measurement: `anon_${measurement}` })).map(numeric);
      case 'all':
        return (await queryAll(this.store, { ...q, measurement })).map(numeric);
      case 'tenant':
        return (await queryAll(this.store, { ...q, measurement, where: { manufacturer: scope.tenant } })).map(
          numeric,
        );
      default: {
        const known = this.directory.list();
        const mine =
          scope.kind === 'plant'
            ? known.filter((m) => m.plant === scope.plant)
            : known.filter((m) => scope.machines.includes(m.machineId));
        const out: Row[] = [];
        // only the days on which these machines have utilisation rows (a wide range stays cheap)
        const days = new Set<number>();
        for (const m of mine) {
          const rows = await queryAll(this.store, {
            db: 'operations',
            measurement: 'utilisation',
            from:
              floorTo(range.from, DAY_MS) === range.from ? range.from : floorTo(range.from, DAY_MS) + DAY_MS,
            to: range.to,
            where: { machine: m.machineId, period: 'day' },
            fields: ['wallS'],
          });
          for (const r of rows) days.add(r.ts);
        }
        for (const day of [...days].sort((a, b) => a - b)) {
          const d = await readMarketDay(this.store, day);
          for (const p of marketPoints(mine, d)) {
            if (p.measurement !== measurement) continue;
            out.push({
              ts: p.ts,
              tags: p.tags,
              values: Object.fromEntries(Object.entries(p.fields).map(([k, v]) => [k, num(v)])),
            });
          }
        }
        return out;
      }
    }
  }

  async installedBase(
    scope: Scope,
    range: TimeRange,
    o: { by?: readonly MarketDimension[] } = {},
  ): Promise<InstalledBaseRow[]> {
    const by = this.dims(scope, o.by, ['region', 'industry']);
    return regroup(await this.rows(scope, 'installed_base', range), by).map((r) => ({
      ts: r.ts,
      ...r.tags,
      installed: r.values.installed ?? 0,
      active: r.values.active ?? 0,
    }));
  }

  async utilisationTrend(
    scope: Scope,
    range: TimeRange,
    o: { by?: readonly MarketDimension[] } = {},
  ): Promise<UtilisationTrendRow[]> {
    const by = this.dims(scope, o.by, ['region', 'industry']);
    return regroup(await this.rows(scope, 'utilisation_trend', range), by).map((r) => {
      const v = r.values;
      const wall = v.wallS ?? 0;
      return {
        ts: r.ts,
        ...r.tags,
        machines: v.machines ?? 0,
        utilisation: wall > 0 ? (v.operatingS ?? 0) / wall : 0,
        cuttingShare: wall > 0 ? (v.cuttingS ?? 0) / wall : 0,
        cuts: v.cuts ?? 0,
        areaCm2: v.areaCm2 ?? 0,
        energyKWh: v.energyKWh ?? 0,
      };
    });
  }

  async materials(
    scope: Scope,
    range: TimeRange,
    o: { by?: readonly ('region' | 'industry')[] } = {},
  ): Promise<MaterialMixRow[]> {
    const by = this.dims(scope, o.by, ['region', 'industry']);
    return regroup(await this.rows(scope, 'material_mix', range), by, [
      'materialClass',
      'sectionShape',
      'sizeBin',
    ]).map((r) => ({
      ts: r.ts,
      ...(by.includes('region') ? { region: r.tags.region ?? '' } : {}),
      ...(by.includes('industry') ? { industry: r.tags.industry ?? '' } : {}),
      materialClass: r.tags.materialClass ?? '',
      sectionShape: r.tags.sectionShape ?? '',
      sizeBin: r.tags.sizeBin ?? '',
      machines: r.values.machines ?? 0,
      cuts: r.values.cuts ?? 0,
      areaCm2: r.values.areaCm2 ?? 0,
    }));
  }
}
