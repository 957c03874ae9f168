import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  InstalledBaseRow,
  type MarketDimension,
  MaterialMixRow,
  RecommendationRow,
  RulePrecisionRow,
  UtilisationTrendRow,
} from '../../databases/read-api.js';
import type { ApiIdentity } from '../../registry/index.js';
import { forbidden, machineFor } from '../access.js';
import type { ApiDeps } from '../deps.js';
import { route } from '../route.js';
import { MachineIdParam, Range, resolveRange } from '../schemas.js';
import { byList, DAY, ex, machineScope, need, scopeOf, T0 } from './data-common.js';

/** The market database (own machines for a manufacturer, anonymised for innovation) and learned models: process recommendations, rule precision. */
export function registerMarketRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const now = () => (deps.clock ?? { now: Date.now }).now();

  route(app, {
    method: 'GET',
    url: '/machines/:machineId/recommendations',
    tags: ['algorithms'],
    summary: 'Process recommendations (blade speed, rate, pitch) per material class × size, with outcomes',
    roles: ['admin', 'manufacturer', 'plant'],
    params: MachineIdParam,
    response: z.object({ items: z.array(RecommendationRow) }),
    example: {
      items: [
        {
          ts: T0,
          ...ex,
          materialClass: 'P2',
          sizeBin: '75-150',
          speedMMin: 58,
          rateCm2Min: 52,
          tpi: '3/4',
          source: 'chart',
          cuts: 40,
          followed: 31,
          followedRateCm2Min: 51.2,
          otherRateCm2Min: 44.9,
          followedKWhPerCm2: 0.00019,
          otherKWhPerCm2: 0.00023,
        },
      ],
    },
    handler: async ({ params, identity }) => {
      const m = machineFor(identity, deps.registry, params.machineId);
      const scope = machineScope(identity);
      return { items: await need(deps).algorithms.recommendations(scope, { machines: [m.machineId] }) };
    },
  });

  route(app, {
    method: 'GET',
    url: '/algorithms/precision',
    tags: ['algorithms'],
    summary: 'Measured precision per rule version (fleet-wide, no identifiers)',
    roles: ['admin', 'manufacturer', 'plant', 'innovation'],
    response: z.object({ items: z.array(RulePrecisionRow) }),
    example: {
      items: [
        {
          ts: T0,
          rule: 'vibration-high@2',
          warnings: 14,
          judged: 10,
          confirmed: 8,
          falseAlarms: 2,
          precision: 0.8,
        },
      ],
    },
    handler: async ({ identity }) => ({
      items: await need(deps).algorithms.rulePrecision(scopeOf(identity)),
    }),
  });

  // ------------------------------------------------------------------ market
  const marketQuery = () =>
    Range.extend({ by: byList(['region', 'industry', 'model', 'manufacturer'] as const) });
  const marketBy = (id: ApiIdentity, by: z.infer<typeof MarketDimension>[] | undefined) => {
    if (id.role === 'innovation' && by?.some((d) => d !== 'region' && d !== 'industry'))
      throw forbidden('the innovation tier groups by region and industry only');
    return by;
  };

  route(app, {
    method: 'GET',
    url: '/market/installed-base',
    tags: ['market'],
    summary: 'Installed and active machines per day by region / industry / model / manufacturer',
    description:
      'innovation: anonymised (model = saw type, no manufacturer, buckets ≥ 5 machines); manufacturer: its own machines.',
    roles: ['admin', 'manufacturer', 'innovation'],
    querystring: marketQuery(),
    response: z.object({ items: z.array(InstalledBaseRow) }),
    example: {
      items: [
        {
          ts: T0,
          region: 'cn-zhejiang',
          industry: 'automotive-parts',
          model: 'double-column',
          installed: 12,
          active: 10,
        },
      ],
    },
    handler: async ({ query, identity }) => {
      const by = marketBy(identity, query.by);
      return {
        items: await need(deps).market.installedBase(
          scopeOf(identity),
          resolveRange(query, now(), 30 * DAY),
          by ? { by } : {},
        ),
      };
    },
  });

  route(app, {
    method: 'GET',
    url: '/market/utilisation',
    tags: ['market'],
    summary: 'Daily utilisation, cuts, area and energy by region / industry / model / manufacturer',
    roles: ['admin', 'manufacturer', 'innovation'],
    querystring: marketQuery(),
    response: z.object({ items: z.array(UtilisationTrendRow) }),
    example: {
      items: [
        {
          ts: T0,
          region: 'cn-zhejiang',
          industry: 'automotive-parts',
          machines: 12,
          utilisation: 0.41,
          cuttingShare: 0.33,
          cuts: 2_400,
          areaCm2: 700_000,
          energyKWh: 250,
        },
      ],
    },
    handler: async ({ query, identity }) => {
      const by = marketBy(identity, query.by);
      return {
        items: await need(deps).market.utilisationTrend(
          scopeOf(identity),
          resolveRange(query, now(), 30 * DAY),
          by ? { by } : {},
        ),
      };
    },
  });

  route(app, {
    method: 'GET',
    url: '/market/materials',
    tags: ['market'],
    summary: 'Materials and sections cut per day by region / industry (a demand signal)',
    roles: ['admin', 'manufacturer', 'innovation'],
    querystring: Range.extend({ by: byList(['region', 'industry'] as const) }),
    response: z.object({ items: z.array(MaterialMixRow) }),
    example: {
      items: [
        {
          ts: T0,
          region: 'cn-zhejiang',
          materialClass: 'P2',
          sectionShape: 'round',
          sizeBin: '75-150',
          machines: 9,
          cuts: 800,
          areaCm2: 240_000,
        },
      ],
    },
    handler: async ({ query, identity }) => ({
      items: await need(deps).market.materials(
        scopeOf(identity),
        resolveRange(query, now(), 30 * DAY),
        query.by ? { by: query.by } : {},
      ),
    }),
  });
}
