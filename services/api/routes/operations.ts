import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { MachineState, TELEMETRY_VARIABLE_NAMES, type TelemetryVariable } from '../../contracts/index.js';
import { SawBrainError } from '../../core/errors.js';
import type { SeriesRow, TelemetryStore } from '../../core/ports.js';
import { MEASUREMENTS } from '../../ingest/points.js';
import { machineFor } from '../access.js';
import type { ApiDeps } from '../deps.js';
import { route } from '../route.js';
import { MachineIdParam, Page, paged, Range, resolveRange } from '../schemas.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MAX_POINTS = 10_000;

const Value = z.union([z.number(), z.string(), z.boolean(), z.null()]);
const Row = z.object({ ts: z.number(), values: z.record(z.string(), Value) });

const fieldList = z
  .string()
  .optional()
  .transform((s, ctx) => {
    if (!s) return [...TELEMETRY_VARIABLE_NAMES];
    const names = s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
    for (const n of names)
      if (!(TELEMETRY_VARIABLE_NAMES as readonly string[]).includes(n))
        ctx.addIssue({ code: 'custom', message: `unknown variable ${n} (see docs/data-standard.md)` });
    return names as TelemetryVariable[];
  })
  .describe(`comma-separated variables: ${TELEMETRY_VARIABLE_NAMES.join(', ')} (default all)`);

export function needStore(deps: ApiDeps): TelemetryStore {
  if (!deps.store) throw new SawBrainError('UNAVAILABLE', 'this process has no time-series store');
  return deps.store;
}

const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;

/** Per-machine operations data: telemetry, cuts, states, utilisation, energy. */
export function registerOperationsRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const now = () => (deps.clock ?? { now: Date.now }).now();

  route(app, {
    method: 'GET',
    url: '/machines/:machineId/telemetry',
    tags: ['operations'],
    summary: 'Telemetry over a time range: raw, or downsampled into buckets',
    description:
      'Raw samples when `every` is absent and the range holds at most `limit` of them; otherwise buckets of ' +
      '`every` ms (default: the range in ~500 buckets) aggregated with `fn` (default mean). Buckets of whole ' +
      'minutes are read from the 1-minute table of the operations database (`resolution` 1m: `fn` over the ' +
      'minute means), which outlives the raw retention; `resolution=raw` forces the raw samples.',
    roles: ['admin', 'manufacturer', 'plant'],
    params: MachineIdParam,
    querystring: Range.extend({
      fields: fieldList,
      every: z.coerce.number().int().min(1000).optional().describe('bucket width, ms'),
      fn: z.enum(['mean', 'min', 'max', 'last']).default('mean'),
      limit: z.coerce.number().int().min(1).max(MAX_POINTS).default(2000),
      resolution: z
        .enum(['auto', 'raw', '1m'])
        .default('auto')
        .describe('auto: the 1-minute table for buckets of whole minutes when it has rows, else raw'),
    }),
    response: z.object({
      machineId: z.string(),
      from: z.number(),
      to: z.number(),
      every: z.number().nullable().describe('bucket width (null: raw samples)'),
      fn: z.string().nullable(),
      resolution: z.enum(['raw', '1m']).describe('what the rows were computed from'),
      rows: z.array(Row),
    }),
    example: {
      machineId: 'CL-GZ4235-001',
      from: 1_764_400_000_000,
      to: 1_764_403_600_000,
      every: 60_000,
      fn: 'mean',
      resolution: '1m',
      rows: [{ ts: 1_764_400_000_000, values: { bladeSpeed: 62.1, power: 2.4 } }],
    },
    handler: async ({ params, query, identity }) => {
      const m = machineFor(identity, deps.registry, params.machineId);
      const { from, to } = resolveRange(query, now(), HOUR);
      if (!(to > from)) throw new SawBrainError('REQUEST_INVALID', '`to` must be after `from`');
      const store = needStore(deps);
      const base = {
        db: 'operations' as const,
        measurement: MEASUREMENTS.telemetry,
        from,
        to,
        where: { machine: m.machineId },
        fields: query.fields,
      };
      const out = { machineId: m.machineId, from, to };
      if (query.every === undefined && query.resolution !== '1m') {
        const raw = await store.query({ ...base, limit: query.limit + 1, order: 'asc' });
        if (raw.length <= query.limit)
          return { ...out, every: null, fn: null, resolution: 'raw' as const, rows: raw.map(toRow) };
      }
      let every = query.every ?? Math.max(1000, Math.ceil((to - from) / 500 / 1000) * 1000);
      if (query.resolution === '1m') every = Math.max(MINUTE, Math.ceil(every / MINUTE) * MINUTE);
      if ((to - from) / every > MAX_POINTS)
        throw new SawBrainError('REQUEST_INVALID', `at most ${MAX_POINTS} buckets: widen \`every\``);
      const fn = query.fn === 'last' ? 'last' : query.fn;
      if (query.resolution === '1m' || (query.resolution === 'auto' && every % MINUTE === 0)) {
        // the databases' 1-minute means: kept past the raw retention, and 60× fewer rows to scan
        const rows = await store.query({ ...base, measurement: 'telemetry_1m', fn, every, order: 'asc' });
        if (rows.length > 0 || query.resolution === '1m')
          return { ...out, every, fn, resolution: '1m' as const, rows: rows.map(toRow) };
      }
      const rows = await store.query({ ...base, fn, every, order: 'asc' });
      return { ...out, every, fn, resolution: 'raw' as const, rows: rows.map(toRow) };
    },
  });

  const CutRow = z.object({
    ts: z.number().describe('cut start'),
    cutId: z.string().nullable(),
    values: z.record(z.string(), Value).describe('the cut record fields (docs/data-standard.md)'),
  });
  route(app, {
    method: 'GET',
    url: '/machines/:machineId/cuts',
    tags: ['operations'],
    summary: 'Cut records, newest first',
    roles: ['admin', 'manufacturer', 'plant'],
    params: MachineIdParam,
    querystring: Range.extend(Page.shape).extend({
      material: z.string().optional().describe('material grade'),
    }),
    response: paged(CutRow),
    example: {
      items: [
        {
          ts: 1_764_400_000_000,
          cutId: 'cut-42',
          values: { areaCm2: 314.2, energyKWh: 0.05, materialGrade: '1045', completed: true },
        },
      ],
      total: 1,
      limit: 100,
      offset: 0,
    },
    handler: async ({ params, query, identity }) => {
      const m = machineFor(identity, deps.registry, params.machineId);
      const { from, to } = resolveRange(query, now(), 7 * DAY);
      const rows = await needStore(deps).query({
        db: 'operations',
        measurement: MEASUREMENTS.cut,
        from,
        to,
        where: { machine: m.machineId },
        order: 'desc',
        limit: 100_000,
      });
      const all = rows
        .filter((r) => query.material === undefined || r.values.materialGrade === query.material)
        .map((r) => ({
          ts: r.ts,
          cutId: typeof r.values.cutId === 'string' ? r.values.cutId : null,
          values: r.values,
        }));
      return {
        items: all.slice(query.offset, query.offset + query.limit),
        total: all.length,
        limit: query.limit,
        offset: query.offset,
      };
    },
  });

  const StateRow = z.object({ ts: z.number(), state: MachineState, reason: z.string().nullable() });
  route(app, {
    method: 'GET',
    url: '/machines/:machineId/states',
    tags: ['operations'],
    summary: 'State timeline (each row: the state from ts on)',
    roles: ['admin', 'manufacturer', 'plant'],
    params: MachineIdParam,
    querystring: Range.extend(Page.shape),
    response: paged(StateRow),
    example: {
      items: [{ ts: 1_764_400_000_000, state: 'running', reason: null }],
      total: 1,
      limit: 100,
      offset: 0,
    },
    handler: async ({ params, query, identity }) => {
      const m = machineFor(identity, deps.registry, params.machineId);
      const { from, to } = resolveRange(query, now(), DAY);
      const rows = await stateRows(needStore(deps), m.machineId, from, to);
      const all = rows.map((r) => ({
        ts: r.ts,
        state: MachineState.catch('offline').parse(r.values.state),
        reason: typeof r.values.reason === 'string' ? r.values.reason : null,
      }));
      return {
        items: all.slice(query.offset, query.offset + query.limit),
        total: all.length,
        limit: query.limit,
        offset: query.offset,
      };
    },
  });

  const Utilisation = z.object({
    machineId: z.string(),
    from: z.number(),
    to: z.number(),
    seconds: z.record(z.string(), z.number()).describe('seconds per state; unknown = no state reported yet'),
    share: z.record(z.string(), z.number()).describe('share of the range per state (sums to 1)'),
    utilisation: z.number().describe('running share'),
  });
  route(app, {
    method: 'GET',
    url: '/machines/:machineId/utilisation',
    tags: ['operations'],
    summary: 'Time per state over a range (cutting / idle / setup / alarm / offline)',
    roles: ['admin', 'manufacturer', 'plant'],
    params: MachineIdParam,
    querystring: Range,
    response: Utilisation,
    example: {
      machineId: 'CL-GZ4235-001',
      from: 1_764_400_000_000,
      to: 1_764_486_400_000,
      seconds: { running: 43_200, idle: 36_000, offline: 7_200 },
      share: { running: 0.5, idle: 0.4167, offline: 0.0833 },
      utilisation: 0.5,
    },
    handler: async ({ params, query, identity }) => {
      const m = machineFor(identity, deps.registry, params.machineId);
      const { from, to } = resolveRange(query, now(), DAY);
      if (!(to > from)) throw new SawBrainError('REQUEST_INVALID', '`to` must be after `from`');
      const store = needStore(deps);
      const before = await store.query({
        db: 'operations',
        measurement: MEASUREMENTS.state,
        from: 0,
        to: from,
        where: { machine: m.machineId },
        fields: ['state'],
        order: 'desc',
        limit: 1,
      });
      const rows = await stateRows(store, m.machineId, from, to);
      const seconds: Record<string, number> = {};
      let current =
        typeof before[0]?.values.state === 'string' ? (before[0].values.state as string) : 'unknown';
      let at = from;
      for (const r of rows) {
        seconds[current] = (seconds[current] ?? 0) + (r.ts - at) / 1000;
        current = String(r.values.state);
        at = r.ts;
      }
      seconds[current] = (seconds[current] ?? 0) + (to - at) / 1000;
      const total = (to - from) / 1000;
      const share = Object.fromEntries(Object.entries(seconds).map(([k, v]) => [k, round(v / total)]));
      return {
        machineId: m.machineId,
        from,
        to,
        seconds: Object.fromEntries(Object.entries(seconds).map(([k, v]) => [k, round(v, 3)])),
        share,
        utilisation: share.running ?? 0,
      };
    },
  });

  const EnergyRow = z.object({
    ts: z.number().describe('bucket start'),
    cuts: z.number().int(),
    energyKWh: z.number(),
    cuttingEnergyKWh: z.number(),
    areaCm2: z.number(),
    kWhPerCm2: z.number().nullable(),
  });
  route(app, {
    method: 'GET',
    url: '/machines/:machineId/energy',
    tags: ['operations'],
    summary: 'Energy from the cut records: per bucket total and cutting kWh, area cut, kWh per cm²',
    roles: ['admin', 'manufacturer', 'plant'],
    params: MachineIdParam,
    querystring: Range.extend({
      every: z.coerce.number().int().min(60_000).default(DAY).describe('bucket width, ms (default one day)'),
    }),
    response: z.object({
      machineId: z.string(),
      from: z.number(),
      to: z.number(),
      every: z.number(),
      rows: z.array(EnergyRow),
      total: EnergyRow.omit({ ts: true }),
    }),
    example: {
      machineId: 'CL-GZ4235-001',
      from: 1_764_316_800_000,
      to: 1_764_403_200_000,
      every: 86_400_000,
      rows: [
        {
          ts: 1_764_316_800_000,
          cuts: 120,
          energyKWh: 6.2,
          cuttingEnergyKWh: 4.1,
          areaCm2: 37_000,
          kWhPerCm2: 0.000168,
        },
      ],
      total: { cuts: 120, energyKWh: 6.2, cuttingEnergyKWh: 4.1, areaCm2: 37_000, kWhPerCm2: 0.000168 },
    },
    handler: async ({ params, query, identity }) => {
      const m = machineFor(identity, deps.registry, params.machineId);
      const { from, to } = resolveRange(query, now(), 7 * DAY);
      if ((to - from) / query.every > MAX_POINTS)
        throw new SawBrainError('REQUEST_INVALID', 'too many buckets');
      const store = needStore(deps);
      const q = {
        db: 'operations' as const,
        measurement: MEASUREMENTS.cut,
        from,
        to,
        where: { machine: m.machineId },
      };
      const sums = await store.query({
        ...q,
        fields: ['energyKWh', 'cuttingEnergyKWh', 'areaCm2'],
        fn: 'sum',
        every: query.every,
      });
      const counts = await store.query({ ...q, fields: ['areaCm2'], fn: 'count', every: query.every });
      const countAt = new Map(counts.map((c) => [c.ts, Number(c.values.areaCm2 ?? 0)]));
      const rows = sums.map((s) => energyRow(s.ts, countAt.get(s.ts) ?? 0, s.values));
      const total = rows.reduce(
        (a, r) => ({
          cuts: a.cuts + r.cuts,
          energyKWh: a.energyKWh + r.energyKWh,
          cuttingEnergyKWh: a.cuttingEnergyKWh + r.cuttingEnergyKWh,
          areaCm2: a.areaCm2 + r.areaCm2,
        }),
        { cuts: 0, energyKWh: 0, cuttingEnergyKWh: 0, areaCm2: 0 },
      );
      return {
        machineId: m.machineId,
        from,
        to,
        every: query.every,
        rows,
        total: { ...energyRow(0, total.cuts, total), ts: undefined },
      };
    },
  });
}

function energyRow(ts: number, cuts: number, v: Record<string, unknown>) {
  const energyKWh = Number(v.energyKWh ?? 0);
  const areaCm2 = Number(v.areaCm2 ?? 0);
  return {
    ts,
    cuts,
    energyKWh: round(energyKWh, 6),
    cuttingEnergyKWh: round(Number(v.cuttingEnergyKWh ?? 0), 6),
    areaCm2: round(areaCm2, 3),
    kWhPerCm2: areaCm2 > 0 ? round(energyKWh / areaCm2, 9) : null,
  };
}

function toRow(r: SeriesRow) {
  return { ts: r.ts, values: r.values };
}

async function stateRows(store: TelemetryStore, machine: string, from: number, to: number) {
  return store.query({
    db: 'operations',
    measurement: MEASUREMENTS.state,
    from,
    to,
    where: { machine },
    fields: ['state', 'reason'],
    order: 'asc',
    limit: 100_000,
  });
}
