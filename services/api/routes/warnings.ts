import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { LifecycleEvent, WarningRecord } from '../../analysis/index.js';
import { WarningSeverity, WarningState } from '../../contracts/index.js';
import { isSawBrainError, SawBrainError } from '../../core/errors.js';
import type { ApiIdentity } from '../../registry/index.js';
import { checkFilter, machineFor } from '../access.js';
import type { ApiDeps } from '../deps.js';
import { route } from '../route.js';
import { Page, paged, paginate } from '../schemas.js';

import {
  needAnalysis,
  seesWarning,
  WarningView,
  warningExample,
  warningFor,
  warningView,
} from './warning-view.js';

const WarningParams = z.object({ warningId: z.string().min(1).max(128) });
const HistoryEvent = z.object({
  ts: z.number(),
  action: z.string(),
  state: WarningState,
  by: z.string().nullable(),
  note: z.string().nullable(),
});

/** Warnings: list/filter, history, acknowledge, shelve/unshelve, feedback; diagnoses and blade life. */
export function registerWarningRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const act = (
    identity: ApiIdentity,
    w: WarningRecord,
    action: string,
    details: Record<string, unknown>,
    fn: () => void,
  ) => {
    let outcome = 'ok';
    try {
      if (w.closedAt !== null && action !== 'warning.feedback')
        throw new SawBrainError('CONFLICT', `warning ${w.warningId} is resolved`);
      fn();
    } catch (err) {
      outcome = isSawBrainError(err) ? err.code : 'error';
      throw isSawBrainError(err, 'QUERY_INVALID') ? new SawBrainError('CONFLICT', err.details) : err;
    } finally {
      deps.audit.record({
        actor: identity.keyId,
        actorLabel: identity.label,
        role: identity.role,
        action,
        targetKind: 'warning',
        targetId: w.warningId,
        tenant: w.tenant,
        plant: deps.registry.get(w.machine)?.plant ?? w.plant,
        outcome,
        details: { machineId: w.machine, type: w.type, ...details },
      });
    }
  };
  const by = (id: ApiIdentity) => `${id.keyId} (${id.label})`.slice(0, 64);

  route(app, {
    method: 'GET',
    url: '/warnings',
    tags: ['warnings'],
    summary: 'Warnings the key sees, filtered and paged (newest first)',
    roles: ['admin', 'manufacturer', 'plant'],
    querystring: Page.extend({
      machineId: z.string().optional(),
      tenant: z.string().optional(),
      plant: z.string().optional(),
      type: z.string().optional(),
      severity: WarningSeverity.optional(),
      state: WarningState.optional(),
      open: z
        .enum(['true', 'false'])
        .optional()
        .transform((v) => (v === undefined ? undefined : v === 'true')),
    }),
    response: paged(WarningView),
    example: { items: [warningExample], total: 1, limit: 100, offset: 0 },
    handler: ({ query: q, identity }) => {
      checkFilter(identity, q);
      if (q.machineId) machineFor(identity, deps.registry, q.machineId);
      const all = needAnalysis(deps)
        .list({
          ...(q.machineId ? { machine: q.machineId } : {}),
          ...(q.tenant
            ? { tenant: q.tenant }
            : identity.role === 'manufacturer'
              ? { tenant: identity.tenant! }
              : {}),
          ...(q.type ? { type: q.type } : {}),
          ...(q.open !== undefined ? { open: q.open } : {}),
          limit: 100_000,
        })
        .filter(
          (w) =>
            seesWarning(deps, identity, w) &&
            (q.plant === undefined || (deps.registry.get(w.machine)?.plant ?? w.plant) === q.plant) &&
            (q.severity === undefined || w.severity === q.severity) &&
            (q.state === undefined || w.state === q.state),
        )
        .map(warningView);
      return paginate(all, q);
    },
  });

  route(app, {
    method: 'GET',
    url: '/warnings/:warningId',
    tags: ['warnings'],
    summary: 'One warning with its probable causes, evidence and remaining blade life',
    roles: ['admin', 'manufacturer', 'plant'],
    params: WarningParams,
    response: WarningView,
    example: warningExample,
    handler: ({ params, identity }) => warningView(warningFor(deps, identity, params.warningId)),
  });

  route(app, {
    method: 'GET',
    url: '/warnings/:warningId/history',
    tags: ['warnings'],
    summary: 'Lifecycle of a warning (raise, ack, shelve, clear, …; who and when)',
    roles: ['admin', 'manufacturer', 'plant'],
    params: WarningParams,
    response: z.object({ warningId: z.string(), events: z.array(HistoryEvent) }),
    example: {
      warningId: warningExample.warningId,
      events: [{ ts: 1_764_400_000_000, action: 'raise', state: 'raised', by: null, note: null }],
    },
    handler: ({ params, identity }) => {
      const w = warningFor(deps, identity, params.warningId);
      return {
        warningId: w.warningId,
        events: needAnalysis(deps)
          .history(w.warningId)
          .map((e: LifecycleEvent) => ({
            ts: e.ts,
            action: e.action,
            state: e.state,
            by: e.by,
            note: e.note,
          })),
      };
    },
  });

  route(app, {
    method: 'POST',
    url: '/warnings/:warningId/ack',
    tags: ['warnings'],
    summary: 'Acknowledge a warning',
    roles: ['admin', 'manufacturer', 'plant'],
    params: WarningParams,
    body: z.object({ note: z.string().max(500).optional() }),
    bodyExample: { note: 'blade ordered' },
    errors: [404, 409],
    response: WarningView,
    example: {
      ...warningExample,
      acked: true,
      ackedBy: 'k_3f9a1c2b7d4e (Ningbo shift lead)',
      state: 'acknowledged',
    },
    handler: ({ params, body, identity }) => {
      const w = warningFor(deps, identity, params.warningId);
      let out = w;
      act(identity, w, 'warning.ack', { note: body.note ?? null }, () => {
        out = needAnalysis(deps).ack(w.warningId, by(identity), body.note);
      });
      return warningView(out);
    },
  });

  route(app, {
    method: 'POST',
    url: '/warnings/:warningId/shelve',
    tags: ['warnings'],
    summary: 'Shelve a warning for a while (it returns by itself); audited',
    roles: ['admin', 'plant'],
    params: WarningParams,
    body: z
      .object({
        durationMs: z
          .number()
          .int()
          .min(60_000)
          .max(7 * 24 * 3_600_000)
          .optional(),
        untilTs: z.number().int().optional(),
        note: z.string().min(1).max(500).describe('why: shelving is audited'),
      })
      .refine(
        (b) => (b.durationMs === undefined) !== (b.untilTs === undefined),
        'give durationMs or untilTs',
      ),
    bodyExample: { durationMs: 3_600_000, note: 'sensor being replaced this shift' },
    errors: [404, 409],
    response: WarningView,
    example: { ...warningExample, state: 'shelved', shelvedUntil: 1_764_403_600_000 },
    handler: ({ params, body, identity }) => {
      const w = warningFor(deps, identity, params.warningId);
      let out = w;
      act(
        identity,
        w,
        'warning.shelve',
        { durationMs: body.durationMs ?? null, untilTs: body.untilTs ?? null, note: body.note },
        () => {
          out = needAnalysis(deps).shelve(w.warningId, by(identity), {
            ...(body.durationMs !== undefined ? { durationMs: body.durationMs } : {}),
            ...(body.untilTs !== undefined ? { untilTs: body.untilTs } : {}),
            note: body.note,
          });
        },
      );
      return warningView(out);
    },
  });

  route(app, {
    method: 'POST',
    url: '/warnings/:warningId/unshelve',
    tags: ['warnings'],
    summary: 'Return a shelved warning now; audited',
    roles: ['admin', 'plant'],
    params: WarningParams,
    errors: [404, 409],
    response: WarningView,
    example: warningExample,
    handler: ({ params, identity }) => {
      const w = warningFor(deps, identity, params.warningId);
      let out = w;
      act(identity, w, 'warning.unshelve', {}, () => {
        out = needAnalysis(deps).unshelve(w.warningId, by(identity));
      });
      return warningView(out);
    },
  });

  route(app, {
    method: 'POST',
    url: '/warnings/:warningId/feedback',
    tags: ['warnings'],
    summary: 'Judge a warning: confirmed, false alarm, or the actual cause (improves the rules)',
    roles: ['admin', 'manufacturer', 'plant'],
    params: WarningParams,
    body: z.object({
      verdict: z.enum(['confirmed', 'false-alarm', 'cause-corrected']),
      cause: z
        .string()
        .max(64)
        .optional()
        .describe('cause-corrected: the fault-dictionary id of the real cause'),
      note: z.string().max(500).optional(),
    }),
    bodyExample: { verdict: 'confirmed', note: 'teeth stripped, blade replaced' },
    status: 201,
    errors: [404, 409],
    response: z.object({ warningId: z.string(), verdict: z.string(), recorded: z.literal(true) }),
    example: { warningId: warningExample.warningId, verdict: 'confirmed', recorded: true },
    handler: ({ params, body, identity }) => {
      const w = warningFor(deps, identity, params.warningId);
      act(identity, w, 'warning.feedback', { verdict: body.verdict, cause: body.cause ?? null }, () => {
        try {
          needAnalysis(deps).feedback(w.warningId, by(identity), {
            verdict: body.verdict,
            ...(body.cause ? { cause: body.cause } : {}),
            ...(body.note ? { note: body.note } : {}),
          });
        } catch (err) {
          // a bad cause id is the caller's mistake, not a state conflict
          if (isSawBrainError(err, 'QUERY_INVALID')) throw new SawBrainError('REQUEST_INVALID', err.details);
          throw err;
        }
      });
      return { warningId: w.warningId, verdict: body.verdict, recorded: true as const };
    },
  });
}
