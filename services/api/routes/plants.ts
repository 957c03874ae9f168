import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Machine } from '../../registry/index.js';
import { plantFor, visibleMachines } from '../access.js';
import type { ApiDeps } from '../deps.js';
import { route } from '../route.js';
import { Page, paged, paginate } from '../schemas.js';
import { MachineView, machineExample, openWarningCounts, viewOf } from './machines.js';

const PlantSummary = z.object({
  plant: z.string(),
  region: z.string(),
  industry: z.string(),
  lines: z.array(z.string()),
  machines: z.number().int().describe('machines of this plant the key sees'),
});
const PlantDetail = PlantSummary.extend({
  lines: z.array(z.string()),
  machineList: z.array(MachineView.extend({ line: z.string() })),
});

export const PlantParams = z.object({ plantId: z.string().min(1).max(128) });

function summary(plant: string, machines: Machine[]) {
  return {
    plant,
    region: machines[0]!.region,
    industry: machines[0]!.industry,
    lines: [...new Set(machines.map((m) => m.site))].sort(),
    machines: machines.length,
  };
}

/** Plants and their lines (a line is a site/hall of a plant), as far as the key sees them. */
export function registerPlantRoutes(app: FastifyInstance, deps: ApiDeps): void {
  route(app, {
    method: 'GET',
    url: '/plants',
    tags: ['plants'],
    summary: 'Plants the key sees (a manufacturer: where its machines stand; a plant: itself)',
    roles: ['admin', 'manufacturer', 'plant'],
    querystring: Page,
    response: paged(PlantSummary),
    example: {
      items: [
        {
          plant: 'ningbo-autoparts',
          region: 'cn-zhejiang',
          industry: 'automotive-parts',
          lines: ['hall-1'],
          machines: 3,
        },
      ],
      total: 1,
      limit: 100,
      offset: 0,
    },
    handler: ({ query, identity }) => {
      const byPlant = new Map<string, Machine[]>();
      for (const m of visibleMachines(identity, deps.registry, false)) {
        const list = byPlant.get(m.plant) ?? [];
        list.push(m);
        byPlant.set(m.plant, list);
      }
      const all = [...byPlant.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([p, ms]) => summary(p, ms));
      return paginate(all, query);
    },
  });

  route(app, {
    method: 'GET',
    url: '/plants/:plantId',
    tags: ['plants'],
    summary: 'One plant: its lines and the saws on them the key sees',
    roles: ['admin', 'manufacturer', 'plant'],
    params: PlantParams,
    response: PlantDetail,
    example: {
      plant: 'ningbo-autoparts',
      region: 'cn-zhejiang',
      industry: 'automotive-parts',
      lines: ['hall-1'],
      machines: 1,
      machineList: [machineExample],
    },
    handler: ({ params, identity }) => {
      const machines = plantFor(identity, deps.registry, params.plantId);
      const counts = openWarningCounts(deps);
      return {
        ...summary(params.plantId, machines),
        machineList: machines.map((m) => viewOf(deps, m, counts)),
      };
    },
  });
}
