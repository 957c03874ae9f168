import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ProbableCause, WarningSeverity, WarningState } from '../../contracts/index.js';
import { machineFor, sees, visibleMachines } from '../access.js';
import type { ApiDeps } from '../deps.js';
import { route } from '../route.js';
import { MachineIdParam, Page, paged, paginate, Range, resolveRange } from '../schemas.js';
import { needStore } from './operations.js';
import { needAnalysis, warningExample } from './warning-view.js';

/** Warning history from the algorithms database (automatic suppression included) and diagnoses. */
export function registerWarningEventRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const EventRow = z.object({
    ts: z.number(),
    warningId: z.string(),
    machineId: z.string(),
    tenant: z.string(),
    type: z.string(),
    action: z.string(),
    state: z.string(),
    severity: z.string(),
    by: z.string().nullable(),
    note: z.string().nullable(),
  });

  route(app, {
    method: 'GET',
    url: '/warnings/events',
    tags: ['warnings'],
    summary: 'Warning lifecycle events (raise, ack, shelve, suppress, clear, …) from the algorithms database',
    description:
      'The history of every warning of the machines the key sees, newest first — including what the analysis ' +
      'did by itself (suppression by machine state or flood control), with who and when.',
    roles: ['admin', 'manufacturer', 'plant'],
    querystring: Range.extend(Page.shape).extend({
      action: z
        .string()
        .max(32)
        .optional()
        .describe('raise, ack, shelve, unshelve, suppress, unsuppress, clear, resolve, …'),
      machineId: z.string().optional(),
    }),
    response: paged(EventRow),
    example: {
      items: [
        {
          ts: 1_764_400_000_000,
          warningId: warningExample.warningId,
          machineId: 'CL-GZ4235-001',
          tenant: 'chenlong',
          type: 'blade-wear',
          action: 'suppress',
          state: 'suppressed',
          severity: 'warning',
          by: null,
          note: 'flood',
        },
      ],
      total: 1,
      limit: 100,
      offset: 0,
    },
    handler: async ({ query, identity }) => {
      const only = query.machineId ? [machineFor(identity, deps.registry, query.machineId).machineId] : null;
      const store = needStore(deps);
      const { from, to } = resolveRange(query, (deps.clock ?? { now: Date.now }).now(), 30 * 86_400_000);
      const base = {
        db: 'algorithms' as const,
        measurement: 'warning_event',
        from,
        to,
        order: 'desc' as const,
        limit: 100_000,
      };
      const tag: Record<string, string> = query.action ? { action: query.action } : {};
      const targets =
        only ??
        (identity.role === 'plant' ? visibleMachines(identity, deps.registry).map((m) => m.machineId) : null);
      const rows = targets
        ? (
            await Promise.all(targets.map((machine) => store.query({ ...base, where: { ...tag, machine } })))
          ).flat()
        : await store.query({
            ...base,
            where: identity.role === 'manufacturer' ? { ...tag, tenant: identity.tenant! } : tag,
          });
      const str = (v: unknown) => (typeof v === 'string' ? v : null);
      const all = rows
        .filter((r) => {
          const m = deps.registry.get(r.tags.machine ?? '');
          return sees(identity, m ?? { tenant: r.tags.tenant ?? '', plant: '' });
        })
        .sort((a, b) => b.ts - a.ts)
        .map((r) => ({
          ts: r.ts,
          warningId: String(r.values.warningId ?? ''),
          machineId: r.tags.machine ?? '',
          tenant: r.tags.tenant ?? '',
          type: r.tags.type ?? '',
          action: r.tags.action ?? '',
          state: String(r.values.state ?? ''),
          severity: String(r.values.severity ?? ''),
          by: str(r.values.by),
          note: str(r.values.note),
        }));
      return paginate(all, query);
    },
  });

  const Diagnosis = z.object({
    warningId: z.string(),
    type: z.string(),
    title: z.string(),
    severity: WarningSeverity,
    state: WarningState,
    raisedAt: z.number(),
    causes: z.array(ProbableCause),
  });
  route(app, {
    method: 'GET',
    url: '/machines/:machineId/diagnoses',
    tags: ['warnings'],
    summary: "A machine's fault diagnoses: its warnings with ranked probable causes and actions",
    roles: ['admin', 'manufacturer', 'plant'],
    params: MachineIdParam,
    querystring: Page.extend({
      open: z
        .enum(['true', 'false'])
        .default('true')
        .transform((v) => v === 'true'),
    }),
    response: paged(Diagnosis),
    example: {
      items: [
        {
          warningId: warningExample.warningId,
          type: 'blade-wear',
          title: warningExample.title,
          severity: 'warning',
          state: 'raised',
          raisedAt: warningExample.raisedAt,
          causes: warningExample.causes,
        },
      ],
      total: 1,
      limit: 100,
      offset: 0,
    },
    handler: ({ params, query, identity }) => {
      const m = machineFor(identity, deps.registry, params.machineId);
      const all = needAnalysis(deps)
        .list({ machine: m.machineId, ...(query.open ? { open: true } : {}), limit: 100_000 })
        .filter((w) => w.causes.length > 0)
        .map((w) => ({
          warningId: w.warningId,
          type: w.type,
          title: w.title,
          severity: w.severity,
          state: w.state,
          raisedAt: w.raisedAt,
          causes: w.causes,
        }));
      return paginate(all, query);
    },
  });
}
