import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { MEASUREMENTS } from '../../ingest/points.js';
import type { ApiIdentity, Machine } from '../../registry/index.js';
import { visibleMachines } from '../access.js';
import type { ApiDeps } from '../deps.js';
import { anonymisedTree, type Health, type MachineFigures, type MapNode, namedTree } from '../map-tree.js';
import { route } from '../route.js';

/** No innovation bucket aggregates fewer machines than this. */
export const MIN_BUCKET = 5;
const DAY = 86_400_000;

const Node = z.object({
  id: z.string(),
  parentId: z.string().nullable(),
  kind: z.string().describe('fleet, tenant, plant, line, region, industry, type, machine'),
  label: z.string(),
  status: z
    .enum(['critical', 'warning', 'offline', 'ok', 'unknown'])
    .describe('worst health below this node'),
  machines: z.number().int(),
  running: z.number().int(),
  offline: z.number().int(),
  openWarnings: z.number().int(),
  criticalWarnings: z.number().int(),
  cuts24h: z.number().int(),
  areaCm2_24h: z.number(),
  energyKWh24h: z.number(),
  kWhPerCm2: z.number().nullable(),
  state: z.string().nullable().describe('machines: the live state'),
});
const MapBody = z.object({
  tier: z.enum(['admin', 'manufacturer', 'plant', 'innovation']),
  title: z.string(),
  levels: z.array(z.string()).describe('the kinds from the root down'),
  generatedAt: z.number(),
  minBucket: z.number().int().nullable().describe('innovation: smallest bucket size'),
  nodes: z.array(Node).describe('the tree, flat: parents before their children'),
});

/** Per-machine figures of the last 24 h from the operations database (two grouped queries). */
async function figures(deps: ApiDeps, machines: readonly Machine[], now: number): Promise<MachineFigures[]> {
  const cut = new Map<string, { cuts: number; area: number; energy: number }>();
  if (deps.store && machines.length > 0) {
    const q = {
      db: 'operations' as const,
      measurement: MEASUREMENTS.cut,
      from: now - DAY,
      to: now,
      groupBy: ['machine'],
    };
    try {
      const [sums, counts] = await Promise.all([
        deps.store.query({ ...q, fields: ['areaCm2', 'energyKWh'], fn: 'sum' }),
        deps.store.query({ ...q, fields: ['areaCm2'], fn: 'count' }),
      ]);
      for (const r of sums)
        cut.set(r.tags.machine ?? '', {
          cuts: 0,
          area: Number(r.values.areaCm2 ?? 0),
          energy: Number(r.values.energyKWh ?? 0),
        });
      for (const r of counts) {
        const e = cut.get(r.tags.machine ?? '');
        if (e) e.cuts = Number(r.values.areaCm2 ?? 0);
      }
    } catch (err) {
      deps.logger.warn({ err: (err as Error).message }, 'map figures unavailable');
    }
  }
  const open = new Map<string, { n: number; critical: number }>();
  if (deps.analysis) {
    try {
      for (const w of deps.analysis.list({ open: true, limit: 100_000 })) {
        const e = open.get(w.machine) ?? { n: 0, critical: 0 };
        e.n++;
        if (w.severity === 'critical') e.critical++;
        open.set(w.machine, e);
      }
    } catch {
      // analysis not running
    }
  }
  return machines.map((m) => {
    const live = deps.live?.stateOf(m.machineId)?.state ?? null;
    const w = open.get(m.machineId) ?? { n: 0, critical: 0 };
    const c = cut.get(m.machineId) ?? { cuts: 0, area: 0, energy: 0 };
    const health: Health =
      w.critical > 0
        ? 'critical'
        : w.n > 0
          ? 'warning'
          : live === 'offline'
            ? 'offline'
            : live === null
              ? 'unknown'
              : 'ok';
    const type = deps.seeds.lookup.model.get(m.model)?.type ?? 'unknown';
    return {
      machineId: m.machineId,
      label: m.machineId,
      keys: { tenant: m.tenant, plant: m.plant, line: m.site, region: m.region, industry: m.industry, type },
      health,
      state: live,
      openWarnings: w.n,
      criticalWarnings: w.critical,
      cuts24h: c.cuts,
      areaCm2_24h: c.area,
      energyKWh24h: c.energy,
    };
  });
}

function tierView(
  id: ApiIdentity,
  ms: MachineFigures[],
): { title: string; levels: string[]; nodes: MapNode[] } {
  switch (id.role) {
    case 'admin':
      return {
        title: 'SawBrain fleet',
        levels: ['fleet', 'tenant', 'plant', 'machine'],
        nodes: namedTree('fleet', 'fleet', ['tenant', 'plant'], ms),
      };
    case 'manufacturer':
      return {
        title: `Installed base of ${id.tenant}`,
        levels: ['tenant', 'plant', 'machine'],
        nodes: namedTree('tenant', id.tenant!, ['plant'], ms),
      };
    case 'plant':
      return {
        title: `Plant ${id.plant}`,
        levels: ['plant', 'line', 'machine'],
        nodes: namedTree('plant', id.plant!, ['line'], ms),
      };
    case 'innovation':
      return {
        title: 'Regional sawing fleet (anonymised)',
        levels: ['fleet', 'region', 'industry', 'type'],
        nodes: anonymisedTree(['region', 'industry', 'type'], ms, MIN_BUCKET),
      };
  }
}

/** The data brain map: one overview per tier, each node with status, open warnings and key figures. */
export function registerMapRoutes(app: FastifyInstance, deps: ApiDeps): void {
  route(app, {
    method: 'GET',
    url: '/map',
    tags: ['map'],
    summary: 'The data brain map of the key’s tier',
    description:
      'manufacturer: its tenant → plants → machines; plant: lines → saws; innovation: region → industry → saw type ' +
      `aggregates of at least ${MIN_BUCKET} machines, no identifiers; admin: tenants → plants → machines. ` +
      'The page /map renders it.',
    roles: ['admin', 'manufacturer', 'plant', 'innovation'],
    response: MapBody,
    example: {
      tier: 'plant',
      title: 'Plant ningbo-autoparts',
      levels: ['plant', 'line', 'machine'],
      generatedAt: 1_764_400_000_000,
      minBucket: null,
      nodes: [
        {
          id: 'root',
          parentId: null,
          kind: 'plant',
          label: 'ningbo-autoparts',
          status: 'warning',
          machines: 2,
          running: 1,
          offline: 0,
          openWarnings: 1,
          criticalWarnings: 0,
          cuts24h: 140,
          areaCm2_24h: 41_000,
          energyKWh24h: 9.1,
          kWhPerCm2: 0.000222,
          state: null,
        },
        {
          id: 'root/hall-1',
          parentId: 'root',
          kind: 'line',
          label: 'hall-1',
          status: 'warning',
          machines: 2,
          running: 1,
          offline: 0,
          openWarnings: 1,
          criticalWarnings: 0,
          cuts24h: 140,
          areaCm2_24h: 41_000,
          energyKWh24h: 9.1,
          kWhPerCm2: 0.000222,
          state: null,
        },
      ],
    },
    handler: async ({ identity }) => {
      const now = (deps.clock ?? { now: Date.now }).now();
      const machines =
        identity.role === 'innovation'
          ? deps.registry.list({ includeRevoked: false })
          : visibleMachines(identity, deps.registry, false);
      const view = tierView(identity, await figures(deps, machines, now));
      return {
        tier: identity.role,
        ...view,
        generatedAt: now,
        minBucket: identity.role === 'innovation' ? MIN_BUCKET : null,
      };
    },
  });
}
