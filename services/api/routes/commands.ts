import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { CommandRecord, CommandRequest, type CommandService, CommandStatus } from '../../commands/index.js';
import type { CommandType } from '../../contracts/index.js';
import { SawBrainError } from '../../core/errors.js';
import type { ApiIdentity, ApiRole, Machine } from '../../registry/index.js';
import { forbidden, lineFor, machineFor, outOfScope, sees, visibleMachines } from '../access.js';
import type { ApiDeps } from '../deps.js';
import { answerWith, route } from '../route.js';
import { MachineIdParam, Page, paged } from '../schemas.js';
import { PlantParams } from './plants.js';

type CommandTypeName = z.infer<typeof CommandType>;

/**
 * Who may send what. Plants run their saws: every command. A manufacturer's service desk may only
 * ask for a snapshot or stop a saw after its current cut (never start motion or change a set-point
 * on a customer's machine). The innovation complex sends none.
 */
export const COMMAND_PERMISSIONS: Record<ApiRole, readonly CommandTypeName[] | 'all'> = {
  admin: 'all',
  plant: 'all',
  manufacturer: ['request-snapshot', 'stop-after-cut'],
  innovation: [],
};

function permit(id: ApiIdentity, type: CommandTypeName): void {
  const allowed = COMMAND_PERMISSIONS[id.role];
  if (allowed !== 'all' && !allowed.includes(type)) throw forbidden(`role ${id.role} may not send ${type}`);
}

function needCommands(deps: ApiDeps): CommandService {
  if (!deps.commands) throw new SawBrainError('UNAVAILABLE', 'commands need the broker link');
  return deps.commands;
}

const commandExample: CommandRecord = {
  commandId: 'c_6f1d0c1e-6a51-4d1e-9b8e-0e4f8d3c2a10',
  groupId: null,
  tenant: 'chenlong',
  machineId: 'CL-GZ4235-001',
  plant: 'ningbo-autoparts',
  type: 'feed-override',
  params: { percent: 80 },
  status: 'sent',
  reason: null,
  idempotencyKey: 'shift2-feed-80-0001',
  issuedBy: 'k_3f9a1c2b7d4e',
  issuedByLabel: 'Ningbo shift lead',
  createdAt: 1_764_400_000_000,
  expiresAt: 1_764_400_030_000,
  sentAt: 1_764_400_000_012,
  acceptedAt: null,
  finishedAt: null,
};
const requestExample = {
  type: 'feed-override' as const,
  params: { percent: 80 },
  idempotencyKey: 'shift2-feed-80-0001',
  ttlMs: 30_000,
};
const Created = z.object({
  created: z.boolean().describe('false: the idempotency key was used before; nothing was sent again'),
  commands: z.array(CommandRecord),
});

/** Commands to machines and lines; their state and audit. */
export function registerCommandRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const send = async (
    targets: Machine[],
    body: CommandRequest,
    identity: ApiIdentity,
    line: string | null,
    reply: FastifyReply,
  ) => {
    permit(identity, body.type);
    const active = targets.filter((m) => m.revokedAt === null);
    if (active.length === 0) throw new SawBrainError('CONFLICT', 'no active machine to command');
    const result = await needCommands(deps).create(active, body, identity, line);
    answerWith(reply, result.created ? 201 : 200);
    return result;
  };

  route(app, {
    method: 'POST',
    url: '/machines/:machineId/commands',
    tags: ['commands'],
    summary: 'Send a command to a machine (two-phase, idempotent, expiring)',
    description:
      "Created with an idempotency key and an expiry, published on the machine's command topic, accepted or " +
      'rejected by the machine/edge interlocks, then done or failed; never answered → expired at its expiry. ' +
      '201 when created, 200 when the idempotency key was used before (nothing sent again).',
    roles: ['admin', 'manufacturer', 'plant'],
    params: MachineIdParam,
    body: CommandRequest,
    bodyExample: requestExample,
    status: 201,
    errors: [404, 409, 503],
    response: Created,
    example: { created: true, commands: [commandExample] },
    handler: ({ params, body, identity }, reply) =>
      send([machineFor(identity, deps.registry, params.machineId)], body, identity, null, reply),
  });

  route(app, {
    method: 'POST',
    url: '/plants/:plantId/lines/:line/commands',
    tags: ['commands'],
    summary: 'Send a command to every active saw of a line (fans out; one command per machine, one group id)',
    roles: ['admin', 'manufacturer', 'plant'],
    params: PlantParams.extend({ line: z.string().min(1).max(128) }),
    body: CommandRequest,
    bodyExample: { type: 'stop-after-cut', params: {}, idempotencyKey: 'line-stop-2026-11-29-01' },
    status: 201,
    errors: [404, 409, 503],
    response: Created,
    example: {
      created: true,
      commands: [
        {
          ...commandExample,
          type: 'stop-after-cut',
          params: {},
          groupId: 'g_0b7e4a8e-1f0c-4a55-8c3e-5a2f3d9b7c61',
        },
      ],
    },
    handler: ({ params, body, identity }, reply) =>
      send(
        lineFor(identity, deps.registry, params.plantId, params.line),
        body,
        identity,
        `${params.plantId}/${params.line}`,
        reply,
      ),
  });

  route(app, {
    method: 'GET',
    url: '/commands',
    tags: ['commands'],
    summary: 'Commands to the machines the key sees, newest first',
    roles: ['admin', 'manufacturer', 'plant'],
    querystring: Page.extend({
      machineId: z.string().optional(),
      status: CommandStatus.optional(),
      groupId: z.string().optional(),
    }),
    response: paged(CommandRecord),
    example: { items: [commandExample], total: 1, limit: 100, offset: 0 },
    handler: ({ query, identity }) => {
      if (query.machineId) machineFor(identity, deps.registry, query.machineId);
      const machines =
        identity.role === 'admin' ? null : visibleMachines(identity, deps.registry).map((m) => m.machineId);
      const { items, total } = needCommands(deps).list({
        machines,
        ...(query.machineId ? { machineId: query.machineId } : {}),
        ...(query.status ? { status: query.status } : {}),
        ...(query.groupId ? { groupId: query.groupId } : {}),
        limit: query.limit,
        offset: query.offset,
      });
      return { items, total, limit: query.limit, offset: query.offset };
    },
  });

  route(app, {
    method: 'GET',
    url: '/commands/:commandId',
    tags: ['commands'],
    summary: 'One command and where it stands',
    roles: ['admin', 'manufacturer', 'plant'],
    params: z.object({ commandId: z.string().min(1).max(64) }),
    response: CommandRecord,
    example: {
      ...commandExample,
      status: 'done',
      acceptedAt: 1_764_400_000_040,
      finishedAt: 1_764_400_000_310,
    },
    handler: ({ params, identity }) => {
      const c = needCommands(deps).get(params.commandId);
      const m = c ? deps.registry.get(c.machineId) : null;
      if (!c || !sees(identity, m ?? { tenant: c.tenant, plant: c.plant }))
        throw outOfScope(identity, `command ${params.commandId}`);
      return c;
    },
  });
}
