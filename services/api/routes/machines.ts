import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { MachineState, topicFor } from '../../contracts/index.js';
import { SawBrainError } from '../../core/errors.js';
import { AddMachineInput, type ApiIdentity, type Machine } from '../../registry/index.js';
import { checkFilter, forbidden, machineFor, visibleMachines } from '../access.js';
import type { ApiDeps } from '../deps.js';
import { route } from '../route.js';
import { MachineIdParam, Page, paged, paginate } from '../schemas.js';

export const MachineView = z.object({
  machineId: z.string(),
  tenant: z.string().describe('manufacturer'),
  plant: z.string(),
  line: z.string().describe('the site/hall of the plant the saw stands in'),
  region: z.string(),
  industry: z.string(),
  model: z.string(),
  serial: z.string(),
  createdAt: z.number(),
  revokedAt: z.number().nullable(),
  state: MachineState.nullable().describe('latest reported state (null: none since the API started)'),
  stateSince: z.number().nullable(),
  openWarnings: z.number().int(),
});
export type MachineView = z.infer<typeof MachineView>;

export const machineExample: MachineView = {
  machineId: 'CL-GZ4235-001',
  tenant: 'chenlong',
  plant: 'ningbo-autoparts',
  line: 'hall-1',
  region: 'cn-zhejiang',
  industry: 'automotive-parts',
  model: 'chenlong-gz4235',
  serial: 'CL202301000',
  createdAt: 1_764_400_000_000,
  revokedAt: null,
  state: 'running',
  stateSince: 1_764_400_050_000,
  openWarnings: 1,
};

/** Open warnings per machine (one read of the analysis service). */
export function openWarningCounts(deps: ApiDeps): Map<string, number> {
  const counts = new Map<string, number>();
  if (!deps.analysis) return counts;
  try {
    for (const w of deps.analysis.list({ open: true, limit: 100_000 }))
      counts.set(w.machine, (counts.get(w.machine) ?? 0) + 1);
  } catch {
    // analysis not running: no counts
  }
  return counts;
}

export function viewOf(deps: ApiDeps, m: Machine, counts: Map<string, number>): MachineView {
  const live = deps.live?.stateOf(m.machineId) ?? null;
  return {
    machineId: m.machineId,
    tenant: m.tenant,
    plant: m.plant,
    line: m.site,
    region: m.region,
    industry: m.industry,
    model: m.model,
    serial: m.serial,
    createdAt: m.createdAt,
    revokedAt: m.revokedAt,
    state: m.revokedAt !== null ? 'offline' : (live?.state ?? null),
    stateSince: live?.ts ?? null,
    openWarnings: counts.get(m.machineId) ?? 0,
  };
}

const Credentials = z.object({
  machineId: z.string(),
  username: z.string().describe('MQTT username = client id = machine id'),
  password: z.string().describe('shown once; only its scrypt hash is kept'),
  topicPrefix: z.string().describe('the machine publishes under this prefix'),
});
const credentialsExample = {
  machineId: 'CL-GZ4235-001',
  username: 'CL-GZ4235-001',
  password: 'y3k1r0Yc2lQe9m3QmS1v2bq8dJw4d0A7',
  topicPrefix: 'sawbrain/v1/chenlong/CL-GZ4235-001/',
};

function audit(deps: ApiDeps, id: ApiIdentity, action: string, m: Machine, outcome = 'ok') {
  deps.audit.record({
    actor: id.keyId,
    actorLabel: id.label,
    role: id.role,
    action,
    targetKind: 'machine',
    targetId: m.machineId,
    tenant: m.tenant,
    plant: m.plant,
    outcome,
    details: {},
  });
}

/** Machines: register, list, detail; MQTT credentials issue (rotate) and revoke. */
export function registerMachineRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { registry } = deps;

  route(app, {
    method: 'GET',
    url: '/machines',
    tags: ['machines'],
    summary: 'Machines the key sees, filtered and paged',
    roles: ['admin', 'manufacturer', 'plant'],
    querystring: Page.extend({
      tenant: z.string().optional(),
      plant: z.string().optional(),
      line: z.string().optional(),
      model: z.string().optional(),
      region: z.string().optional(),
      state: MachineState.optional(),
      status: z.enum(['active', 'revoked', 'all']).default('active'),
    }),
    response: paged(MachineView),
    example: { items: [machineExample], total: 1, limit: 100, offset: 0 },
    handler: ({ query: q, identity }) => {
      checkFilter(identity, q);
      const counts = openWarningCounts(deps);
      const views = visibleMachines(identity, registry)
        .filter(
          (m) =>
            (q.status === 'all' || (q.status === 'active') === (m.revokedAt === null)) &&
            (q.tenant === undefined || m.tenant === q.tenant) &&
            (q.plant === undefined || m.plant === q.plant) &&
            (q.line === undefined || m.site === q.line) &&
            (q.model === undefined || m.model === q.model) &&
            (q.region === undefined || m.region === q.region),
        )
        .map((m) => viewOf(deps, m, counts))
        .filter((v) => q.state === undefined || v.state === q.state);
      return paginate(views, q);
    },
  });

  route(app, {
    method: 'POST',
    url: '/machines',
    tags: ['machines'],
    summary: 'Register a machine and issue its MQTT credentials (password shown once)',
    description: 'A manufacturer registers machines of its own tenant only.',
    roles: ['admin', 'manufacturer'],
    body: AddMachineInput,
    bodyExample: {
      machineId: 'CL-GZ4235-001',
      tenant: 'chenlong',
      plant: 'ningbo-autoparts',
      site: 'hall-1',
      region: 'cn-zhejiang',
      industry: 'automotive-parts',
      model: 'chenlong-gz4235',
      serial: 'CL202301000',
    },
    status: 201,
    errors: [409],
    response: z.object({ machine: MachineView, credentials: Credentials }),
    example: {
      machine: { ...machineExample, state: null, stateSince: null, openWarnings: 0 },
      credentials: credentialsExample,
    },
    handler: async ({ body, identity }) => {
      if (identity.role === 'manufacturer' && body.tenant !== identity.tenant)
        throw forbidden(`tenant ${body.tenant}`);
      const maker = deps.seeds.lookup.model.get(body.model)?.tenant;
      if (maker !== undefined && maker !== body.tenant)
        throw forbidden(`model ${body.model} is made by another manufacturer`);
      const { machine, password } = await registry.addMachine(body);
      audit(deps, identity, 'machine.register', machine);
      return {
        machine: viewOf(deps, machine, new Map()),
        credentials: {
          machineId: machine.machineId,
          username: machine.machineId,
          password,
          topicPrefix: topicFor(machine.tenant, machine.machineId, 'telemetry').replace(/telemetry$/, ''),
        },
      };
    },
  });

  route(app, {
    method: 'GET',
    url: '/machines/:machineId',
    tags: ['machines'],
    summary: 'One machine',
    roles: ['admin', 'manufacturer', 'plant'],
    params: MachineIdParam,
    response: MachineView,
    example: machineExample,
    handler: ({ params, identity }) =>
      viewOf(deps, machineFor(identity, registry, params.machineId), openWarningCounts(deps)),
  });

  route(app, {
    method: 'POST',
    url: '/machines/:machineId/credentials',
    tags: ['machines'],
    summary: 'Issue new MQTT credentials (rotate): the old password stops working, live sessions are dropped',
    roles: ['admin', 'manufacturer'],
    params: MachineIdParam,
    status: 201,
    errors: [404, 409],
    response: Credentials,
    example: credentialsExample,
    handler: async ({ params, identity }) => {
      const m = machineFor(identity, registry, params.machineId);
      if (m.revokedAt !== null) throw new SawBrainError('CONFLICT', `machine ${m.machineId} is revoked`);
      const password = await registry.rotate(m.machineId);
      audit(deps, identity, 'machine.rotate', m);
      return {
        machineId: m.machineId,
        username: m.machineId,
        password,
        topicPrefix: topicFor(m.tenant, m.machineId, 'telemetry').replace(/telemetry$/, ''),
      };
    },
  });

  route(app, {
    method: 'DELETE',
    url: '/machines/:machineId/credentials',
    tags: ['machines'],
    summary: 'Revoke a machine for good: the broker disconnects it within seconds and refuses it after',
    roles: ['admin', 'manufacturer'],
    params: MachineIdParam,
    response: MachineView,
    example: { ...machineExample, revokedAt: 1_764_400_100_000, state: 'offline' },
    handler: ({ params, identity }) => {
      const m = machineFor(identity, registry, params.machineId);
      registry.revoke(m.machineId);
      audit(deps, identity, 'machine.revoke', m);
      return viewOf(deps, registry.get(m.machineId)!, openWarningCounts(deps));
    },
  });
}
