import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  BladeLedgerRow,
  BladeLifeRow,
  DemandRow,
  LifeModelRow,
  ReplacementRow,
  WearPartRow,
} from '../../databases/read-api.js';
import { machineFor } from '../access.js';
import type { ApiDeps } from '../deps.js';
import { route } from '../route.js';
import { MachineIdParam, Range, resolveRange } from '../schemas.js';
import { DAY, ex, machineFilter, machineScope, need, scopeOf, T0 } from './data-common.js';

/** The supply-chain database: blade demand, blade life, replacements, wear parts; a machine's blades. */
export function registerSupplyChainRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const now = () => (deps.clock ?? { now: Date.now }).now();

  // ------------------------------------------------------------------ supply chain
  route(app, {
    method: 'GET',
    url: '/supply-chain/forecasts',
    tags: ['supply-chain'],
    summary:
      'Weekly blade demand per region × blade type × supplier (innovation: anonymised, buckets ≥ 5 machines)',
    roles: ['admin', 'manufacturer', 'plant', 'innovation'],
    querystring: z.object({
      weeks: z.coerce.number().int().min(1).max(52).default(8),
      region: z.string().optional(),
    }),
    response: z.object({ items: z.array(DemandRow) }),
    example: {
      items: [
        {
          ts: T0,
          region: 'cn-zhejiang',
          bladeType: 'bimetal-m42',
          supplier: 'WIKUS',
          blades: 6,
          machines: 9,
          valueCny: 2_340,
          forecastAt: T0,
        },
      ],
    },
    handler: async ({ query, identity }) => ({
      items: await need(deps).supplyChain.demandForecast(scopeOf(identity), {
        weeks: query.weeks,
        ...(query.region ? { region: query.region } : {}),
      }),
    }),
  });

  route(app, {
    method: 'GET',
    url: '/supply-chain/blade-life',
    tags: ['supply-chain'],
    summary: 'Blade life distributions per blade type × material class (innovation: from ≥ 5 machines only)',
    roles: ['admin', 'manufacturer', 'plant', 'innovation'],
    querystring: z.object({ bladeType: z.string().optional(), materialClass: z.string().optional() }),
    response: z.object({ items: z.array(BladeLifeRow) }),
    example: {
      items: [
        {
          ts: T0,
          bladeType: 'bimetal-m42',
          materialClass: 'P2',
          n: 31,
          machines: 12,
          meanCm2: 41_000,
          p10Cm2: 22_000,
          p50Cm2: 40_000,
          p90Cm2: 61_000,
          stdCm2: 14_000,
        },
      ],
    },
    handler: async ({ query, identity }) => ({
      items: await need(deps).supplyChain.bladeLife(scopeOf(identity), {
        ...(query.bladeType ? { bladeType: query.bladeType } : {}),
        ...(query.materialClass ? { materialClass: query.materialClass } : {}),
      }),
    }),
  });

  const replacementExample = {
    ts: T0,
    ...ex,
    region: 'cn-zhejiang',
    n: 1,
    bladeId: 'BL-7781',
    bladeType: 'bimetal-m42',
    supplier: 'WIKUS',
    predictedAt: T0 + 5 * DAY,
    remainingCm2: 9_000,
    lowCm2: 6_500,
    highCm2: 12_000,
    areaPerDayCm2: 1_800,
    source: 'remaining-life-model' as const,
  };
  route(app, {
    method: 'GET',
    url: '/supply-chain/replacements',
    tags: ['supply-chain'],
    summary: 'Predicted blade replacements per machine, soonest first',
    roles: ['admin', 'manufacturer', 'plant'],
    querystring: z.object({
      horizonDays: z.coerce.number().int().min(1).max(365).default(60),
      machineId: z.string().optional(),
    }),
    response: z.object({ items: z.array(ReplacementRow) }),
    example: { items: [replacementExample] },
    handler: async ({ query, identity }) => {
      const scope = machineScope(identity);
      const only = machineFilter(deps, identity, query.machineId);
      return {
        items: await need(deps).supplyChain.replacements(scope, { ...only, horizonDays: query.horizonDays }),
      };
    },
  });

  route(app, {
    method: 'GET',
    url: '/supply-chain/wear-parts',
    tags: ['supply-chain'],
    summary: 'Wear-part consumption per machine and part (guides, brushes, wheels, seals)',
    roles: ['admin', 'manufacturer', 'plant'],
    querystring: z.object({ machineId: z.string().optional() }),
    response: z.object({ items: z.array(WearPartRow) }),
    example: {
      items: [
        {
          ts: T0,
          ...ex,
          part: 'chip-brush',
          runningHours: 410,
          consumed: 1.7,
          fromHours: 1.2,
          fromWarnings: 1,
          nextDueAt: T0 + 9 * DAY,
        },
      ],
    },
    handler: async ({ query, identity }) => {
      const scope = machineScope(identity);
      const only = machineFilter(deps, identity, query.machineId);
      return { items: await need(deps).supplyChain.wearParts(scope, only) };
    },
  });

  const ledgerExample = {
    ts: T0,
    ...ex,
    bladeId: 'BL-7781',
    bladeType: 'bimetal-m42',
    supplier: 'WIKUS',
    mountedAt: T0,
    open: true,
    areaCm2: 31_000,
    cuts: 102,
  };
  const lifeExample = {
    ts: T0,
    ...ex,
    bladeId: 'BL-7781',
    knownFromNew: true,
    cuts: 102,
    areaCm2: 31_000,
    used: 0.74,
    endOfLife: 0.35,
    expectedLifeCm2: 42_000,
    remainingCm2: 11_000,
    lowCm2: 8_000,
    highCm2: 14_500,
    steps: 0,
  };
  route(app, {
    method: 'GET',
    url: '/machines/:machineId/blade-life',
    tags: ['supply-chain'],
    summary: "A machine's blades: ledger, remaining-life model state and predicted replacements",
    roles: ['admin', 'manufacturer', 'plant'],
    params: MachineIdParam,
    querystring: Range,
    response: z.object({
      machineId: z.string(),
      ledger: z.array(BladeLedgerRow),
      model: z.array(LifeModelRow),
      replacements: z.array(ReplacementRow),
    }),
    example: {
      machineId: ex.machine,
      ledger: [ledgerExample],
      model: [lifeExample],
      replacements: [replacementExample],
    },
    handler: async ({ params, query, identity }) => {
      const m = machineFor(identity, deps.registry, params.machineId);
      const scope = machineScope(identity);
      const db = need(deps);
      const range = resolveRange(query, now(), 90 * DAY);
      const only = { machines: [m.machineId] };
      const [ledger, model, replacements] = await Promise.all([
        db.supplyChain.bladeLedger(scope, range, { ...only, limit: 1000 }),
        db.algorithms.lifeModel(scope, only),
        db.supplyChain.replacements(scope, only),
      ]);
      return { machineId: m.machineId, ledger: ledger.items, model, replacements };
    },
  });
}
