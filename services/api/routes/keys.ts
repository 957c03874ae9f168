import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { SawBrainError } from '../../core/errors.js';
import { ApiRole, NewApiKey } from '../../registry/index.js';
import type { ApiDeps } from '../deps.js';
import { route } from '../route.js';
import { Page, paged, paginate } from '../schemas.js';

export const KeyRecord = z.object({
  keyId: z.string(),
  role: ApiRole,
  tenant: z.string().nullable(),
  plant: z.string().nullable(),
  label: z.string(),
  createdAt: z.number(),
  createdBy: z.string().nullable(),
  revokedAt: z.number().nullable(),
  lastUsedAt: z.number().nullable(),
});
const keyExample = {
  keyId: 'k_3f9a1c2b7d4e',
  role: 'manufacturer' as const,
  tenant: 'chenlong',
  plant: null,
  label: 'Chenlong service desk',
  createdAt: 1_764_400_000_000,
  createdBy: 'k_0a1b2c3d4e5f',
  revokedAt: null,
  lastUsedAt: null,
};

const Me = z.object({
  keyId: z.string(),
  role: ApiRole,
  tenant: z.string().nullable(),
  plant: z.string().nullable(),
  label: z.string(),
  sees: z.string().describe('what this key can see, in words'),
});

/** Who am I, and API keys (admin only: keys are how every other party gets in). */
export function registerKeyRoutes(app: FastifyInstance, deps: ApiDeps): void {
  route(app, {
    method: 'GET',
    url: '/me',
    tags: ['identity'],
    summary: 'The calling key: role, tenant or plant, and what it can see',
    roles: ['admin', 'manufacturer', 'plant', 'innovation'],
    response: Me,
    example: { ...keyExample, sees: 'the machines of manufacturer chenlong, wherever they stand' },
    handler: ({ identity: id }) => ({
      keyId: id.keyId,
      role: id.role,
      tenant: id.tenant,
      plant: id.plant,
      label: id.label,
      sees:
        id.role === 'admin'
          ? 'everything'
          : id.role === 'manufacturer'
            ? `the machines of manufacturer ${id.tenant}, wherever they stand`
            : id.role === 'plant'
              ? `the machines standing in plant ${id.plant}`
              : 'anonymised fleet aggregates (no bucket below 5 machines)',
    }),
  });

  route(app, {
    method: 'POST',
    url: '/keys',
    tags: ['identity'],
    summary: 'Create an API key (shown once)',
    roles: ['admin'],
    body: NewApiKey,
    bodyExample: { role: 'manufacturer', tenant: 'chenlong', label: 'Chenlong service desk' },
    status: 201,
    response: KeyRecord.extend({ key: z.string().describe('the secret; only its hash is kept') }),
    example: { ...keyExample, key: 'sbk_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG' },
    handler: ({ body, identity }) => {
      const created = deps.keys.create(body, identity.keyId);
      deps.audit.record({
        actor: identity.keyId,
        actorLabel: identity.label,
        role: identity.role,
        action: 'key.create',
        targetKind: 'key',
        targetId: created.keyId,
        tenant: created.tenant,
        plant: created.plant,
        outcome: 'ok',
        details: { role: created.role, label: created.label },
      });
      return created;
    },
  });

  route(app, {
    method: 'GET',
    url: '/keys',
    tags: ['identity'],
    summary: 'List API keys (never their secrets)',
    roles: ['admin'],
    querystring: Page.extend({ role: ApiRole.optional() }),
    response: paged(KeyRecord),
    example: { items: [keyExample], total: 1, limit: 100, offset: 0 },
    handler: ({ query }) => paginate(deps.keys.list(query.role ? { role: query.role } : {}), query),
  });

  route(app, {
    method: 'DELETE',
    url: '/keys/:keyId',
    tags: ['identity'],
    summary: 'Revoke an API key (the next request with it is refused)',
    roles: ['admin'],
    params: z.object({ keyId: z.string().min(1).max(64) }),
    response: KeyRecord,
    example: { ...keyExample, revokedAt: 1_764_400_100_000 },
    handler: ({ params, identity }) => {
      if (!deps.keys.get(params.keyId)) throw new SawBrainError('NOT_FOUND', `API key ${params.keyId}`);
      deps.keys.revoke(params.keyId);
      const k = deps.keys.get(params.keyId)!;
      deps.audit.record({
        actor: identity.keyId,
        actorLabel: identity.label,
        role: identity.role,
        action: 'key.revoke',
        targetKind: 'key',
        targetId: k.keyId,
        tenant: k.tenant,
        plant: k.plant,
        outcome: 'ok',
        details: {},
      });
      return k;
    },
  });
}
