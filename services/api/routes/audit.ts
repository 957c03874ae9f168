import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AuditEntry } from '../../commands/index.js';
import type { ApiDeps } from '../deps.js';
import { route } from '../route.js';
import { Page, paged } from '../schemas.js';

/** The audit trail, each tier its own part of it. */
export function registerAuditRoutes(app: FastifyInstance, deps: ApiDeps): void {
  route(app, {
    method: 'GET',
    url: '/audit',
    tags: ['audit'],
    summary:
      'Who did what, when, with what outcome (commands, shelving, acknowledgements, credentials, keys, rules)',
    description: 'A manufacturer reads the entries of its tenant, a plant those of its plant, admin all.',
    roles: ['admin', 'manufacturer', 'plant'],
    querystring: Page.extend({
      targetKind: AuditEntry.shape.targetKind.optional(),
      targetId: z.string().optional(),
      action: z.string().optional(),
    }),
    response: paged(AuditEntry),
    example: {
      items: [
        {
          id: 42,
          at: 1_764_400_000_000,
          actor: 'k_3f9a1c2b7d4e',
          actorLabel: 'Ningbo shift lead',
          role: 'plant',
          action: 'warning.shelve',
          targetKind: 'warning',
          targetId: 'w_CL-GZ4235-001_vibration-high_1764400000000',
          tenant: 'chenlong',
          plant: 'ningbo-autoparts',
          outcome: 'ok',
          details: { durationMs: 3_600_000, note: 'sensor being replaced this shift' },
        },
      ],
      total: 1,
      limit: 100,
      offset: 0,
    },
    handler: ({ query, identity }) => {
      const scope =
        identity.role === 'manufacturer'
          ? { tenant: identity.tenant! }
          : identity.role === 'plant'
            ? { plant: identity.plant! }
            : {};
      const { items, total } = deps.audit.list({
        ...scope,
        ...(query.targetKind ? { targetKind: query.targetKind } : {}),
        ...(query.targetId ? { targetId: query.targetId } : {}),
        ...(query.action ? { action: query.action } : {}),
        limit: query.limit,
        offset: query.offset,
      });
      return { items, total, limit: query.limit, offset: query.offset };
    },
  });
}
