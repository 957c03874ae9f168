import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { EnergyRow, UtilisationRow } from '../../databases/read-api.js';
import type { ApiDeps } from '../deps.js';
import { route } from '../route.js';
import { Range, resolveRange } from '../schemas.js';
import { Cursor, cursorPage, DAY, ex, machineFilter, machineScope, need, pageOf, T0 } from './data-common.js';

/** Fleet views of the operations database: utilisation/OEE and energy per machine and period, scoped by tier. */
export function registerFleetOperationsRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const now = () => (deps.clock ?? { now: Date.now }).now();

  // ------------------------------------------------------------------ operations (fleet views)
  route(app, {
    method: 'GET',
    url: '/operations/utilisation',
    tags: ['operations'],
    summary: 'Utilisation, OEE and throughput per machine and hour/day (the machines the key sees)',
    roles: ['admin', 'manufacturer', 'plant'],
    querystring: Range.extend(Cursor.shape).extend({
      period: z.enum(['hour', 'day']).default('day'),
      machineId: z.string().optional(),
    }),
    response: cursorPage(UtilisationRow),
    example: {
      items: [
        {
          ts: T0,
          period: 'day',
          ...ex,
          wallS: 86_400,
          cuttingS: 30_000,
          runningS: 4_000,
          idleS: 20_000,
          offShiftS: 28_800,
          setupS: 1_800,
          bladeChangeS: 600,
          alarmS: 200,
          offlineS: 1_000,
          availability: 0.59,
          performance: 0.92,
          quality: 0.99,
          oee: 0.54,
          cuts: 210,
          areaCm2: 62_000,
          areaPerHourCm2: 6_560,
        },
      ],
    },
    handler: async ({ query, identity }) => {
      const scope = machineScope(identity);
      const only = machineFilter(deps, identity, query.machineId);
      const range = resolveRange(query, now(), 7 * DAY);
      return need(deps).operations.utilisation(scope, range, {
        ...only,
        ...pageOf(query),
        period: query.period,
      });
    },
  });

  route(app, {
    method: 'GET',
    url: '/operations/energy',
    tags: ['operations'],
    summary: 'Energy per machine and shift/day with CO₂ (the machines the key sees)',
    roles: ['admin', 'manufacturer', 'plant'],
    querystring: Range.extend(Cursor.shape).extend({
      period: z.enum(['shift', 'day']).default('day'),
      machineId: z.string().optional(),
    }),
    response: cursorPage(EnergyRow),
    example: {
      items: [
        {
          ts: T0,
          period: 'day',
          ...ex,
          totalKWh: 21.4,
          cutKWh: 12.2,
          nonCutKWh: 9.2,
          cuttingKWh: 8.1,
          byState: { running: 14.1, idle: 7.3 },
          areaCm2: 62_000,
          cuts: 210,
          kWhPerCm2: 0.000197,
          co2Kg: 12.2,
          gridKgPerKWh: 0.5703,
        },
      ],
    },
    handler: async ({ query, identity }) => {
      const scope = machineScope(identity);
      const only = machineFilter(deps, identity, query.machineId);
      const range = resolveRange(query, now(), 7 * DAY);
      return need(deps).operations.energy(scope, range, { ...only, ...pageOf(query), period: query.period });
    },
  });
}
