import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { SawBrainError } from '../../core/errors.js';
import type { ApiIdentity } from '../../registry/index.js';
import type { RuleSeed } from '../../seeds/index.js';
import { forbidden, visibleMachines } from '../access.js';
import type { ApiDeps } from '../deps.js';
import { route } from '../route.js';
import { needAnalysis } from './warning-view.js';

const Rule = z.object({
  id: z.string(),
  version: z.number().int(),
  kind: z.string(),
  symptom: z.string(),
  enabled: z.boolean(),
  description: z.string(),
  params: z.record(z.string(), z.unknown()),
  models: z
    .record(z.string(), z.record(z.string(), z.unknown()))
    .describe('per-model overrides the key may see (its own models; none for innovation)'),
});
const ruleExample = {
  id: 'vibration-high',
  version: 2,
  kind: 'threshold',
  symptom: 'vibration-high',
  enabled: true,
  description: 'Vibration above the ISO 10816 class I alarm level',
  params: { variable: 'vibration', above: 2.8 },
  models: { 'chenlong-gz4235': { above: 3.2 } },
};

/** Models whose overrides a key may see and (manufacturer) edit. null = all. */
function ownModels(deps: ApiDeps, id: ApiIdentity): Set<string> | null {
  if (id.role === 'admin') return null;
  const owned = new Set<string>();
  if (id.role === 'manufacturer')
    for (const m of deps.seeds.models) if (m.tenant === id.tenant) owned.add(m.id);
  // models not in seeds/ belong to whoever registered machines of them; a seeded model only to its maker
  for (const m of visibleMachines(id, deps.registry)) {
    const maker = deps.seeds.lookup.model.get(m.model)?.tenant;
    if (maker === undefined || id.role === 'plant' || maker === id.tenant) owned.add(m.model);
  }
  return owned;
}

function ruleView(r: RuleSeed, owned: Set<string> | null) {
  const models = Object.fromEntries(
    Object.entries(r.models ?? {}).filter(([model]) => owned === null || owned.has(model)),
  );
  return {
    id: r.id,
    version: r.version,
    kind: r.kind,
    symptom: r.symptom,
    enabled: r.enabled,
    description: r.description,
    params: r.params,
    models,
  };
}

const RuleParams = z.object({ ruleId: z.string().min(1).max(64) });

/** The algorithms database as users see it: rules (read for all; edit for admin and, on its own models, a manufacturer) and their measured quality. */
export function registerAlgorithmRoutes(app: FastifyInstance, deps: ApiDeps): void {
  route(app, {
    method: 'GET',
    url: '/algorithms/rules',
    tags: ['algorithms'],
    summary: 'Warning rules with their parameters (model overrides: only the key’s own models)',
    roles: ['admin', 'manufacturer', 'plant', 'innovation'],
    response: z.object({ items: z.array(Rule) }),
    example: { items: [ruleExample] },
    handler: ({ identity }) => {
      const owned = ownModels(deps, identity);
      return {
        items: needAnalysis(deps)
          .rules()
          .map((r) => ruleView(r, owned)),
      };
    },
  });

  route(app, {
    method: 'GET',
    url: '/algorithms/rules/:ruleId',
    tags: ['algorithms'],
    summary: 'One rule',
    roles: ['admin', 'manufacturer', 'plant', 'innovation'],
    params: RuleParams,
    response: Rule,
    example: ruleExample,
    handler: ({ params, identity }) => {
      const r = needAnalysis(deps)
        .rules()
        .find((x) => x.id === params.ruleId);
      if (!r) throw new SawBrainError('NOT_FOUND', `rule ${params.ruleId}`);
      return ruleView(r, ownModels(deps, identity));
    },
  });

  route(app, {
    method: 'PATCH',
    url: '/algorithms/rules/:ruleId',
    tags: ['algorithms'],
    summary: 'Edit a rule (a new version, applied at once; audited)',
    description:
      'admin: anything (enabled, description, params, model overrides). manufacturer: only the `models` ' +
      'overrides of its own saw models.',
    roles: ['admin', 'manufacturer'],
    params: RuleParams,
    body: z.strictObject({
      enabled: z.boolean().optional(),
      description: z.string().min(1).max(500).optional(),
      params: z.record(z.string(), z.unknown()).optional(),
      models: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
      note: z.string().max(500).optional(),
    }),
    bodyExample: { models: { 'chenlong-gz4235': { above: 3.2 } }, note: 'GZ4235 runs rougher by design' },
    errors: [404],
    response: Rule,
    example: ruleExample,
    handler: ({ params, body, identity }) => {
      const analysis = needAnalysis(deps);
      const current = analysis.rules().find((x) => x.id === params.ruleId);
      if (!current) throw new SawBrainError('NOT_FOUND', `rule ${params.ruleId}`);
      const owned = ownModels(deps, identity);
      if (owned !== null) {
        if (body.enabled !== undefined || body.description !== undefined || body.params !== undefined)
          throw forbidden('a manufacturer edits only the overrides of its own models');
        const foreign = Object.keys(body.models ?? {}).filter((m) => !owned.has(m));
        if (foreign.length > 0 || !body.models || Object.keys(body.models).length === 0)
          throw forbidden(`models ${foreign.join(', ') || '(none given)'}`);
      }
      let outcome = 'ok';
      try {
        const next = analysis.editRule(
          params.ruleId,
          body,
          `${identity.keyId} (${identity.label})`.slice(0, 64),
        );
        return ruleView(next, owned);
      } catch (err) {
        outcome = (err as { code?: string }).code ?? 'error';
        if (err instanceof SawBrainError && err.code === 'QUERY_INVALID')
          throw new SawBrainError('REQUEST_INVALID', err.details);
        throw err;
      } finally {
        deps.audit.record({
          actor: identity.keyId,
          actorLabel: identity.label,
          role: identity.role,
          action: 'rule.edit',
          targetKind: 'rule',
          targetId: params.ruleId,
          tenant: identity.tenant,
          plant: null,
          outcome,
          details: { edit: body },
        });
      }
    },
  });

  route(app, {
    method: 'GET',
    url: '/algorithms/quality',
    tags: ['algorithms'],
    summary: 'Measured precision and diagnosis accuracy per rule version, from operator feedback',
    roles: ['admin', 'manufacturer', 'plant', 'innovation'],
    response: z.object({
      items: z.array(
        z.object({
          rule: z.string(),
          confirmed: z.number().int(),
          falseAlarms: z.number().int(),
          causeCorrected: z.number().int(),
          precision: z.number().nullable().describe('null until judged'),
          diagnosisAccuracy: z.number().nullable(),
        }),
      ),
    }),
    example: {
      items: [
        {
          rule: 'vibration-high@2',
          confirmed: 8,
          falseAlarms: 2,
          causeCorrected: 1,
          precision: 0.8,
          diagnosisAccuracy: 0.875,
        },
      ],
    },
    handler: () => ({
      items: needAnalysis(deps)
        .ruleQuality()
        .map((q) => ({
          ...q,
          precision: Number.isFinite(q.precision) ? q.precision : null,
          diagnosisAccuracy: Number.isFinite(q.diagnosisAccuracy) ? q.diagnosisAccuracy : null,
        })),
    }),
  });
}
