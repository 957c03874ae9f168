import { z } from 'zod';
import { SawBrainError } from '../core/errors.js';
import { RuleSeed } from '../seeds/index.js';
import { compileRules, type RuleKind } from './rules/index.js';

/** What an operator may change in a rule at run time; every edit is a new version. */
export const RuleEdit = z.strictObject({
  enabled: z.boolean().optional(),
  description: z.string().min(1).max(500).optional(),
  /** merged into the rule's parameters */
  params: z.record(z.string(), z.unknown()).optional(),
  /** merged into the per-model overrides (an empty object removes a model's override) */
  models: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  note: z.string().max(500).optional(),
});
export type RuleEdit = z.infer<typeof RuleEdit>;

/** Applies an edit to the current version of a rule; the result is checked against its kind. */
export function editRule(
  current: RuleSeed,
  input: unknown,
  kinds: ReadonlyMap<string, RuleKind>,
  nextVersion: number,
): RuleSeed {
  const parsed = RuleEdit.safeParse(input);
  if (!parsed.success)
    throw new SawBrainError(
      'QUERY_INVALID',
      `rule edit: ${parsed.error.issues.map((i) => i.message).join('; ')}`,
    );
  const e = parsed.data;
  const models = { ...(current.models ?? {}) };
  for (const [id, o] of Object.entries(e.models ?? {})) {
    if (Object.keys(o).length === 0) delete models[id];
    else models[id] = { ...models[id], ...o };
  }
  const next = RuleSeed.parse({
    ...current,
    version: nextVersion,
    ...(e.enabled !== undefined ? { enabled: e.enabled } : {}),
    ...(e.description ? { description: e.description } : {}),
    params: { ...current.params, ...e.params },
    ...(Object.keys(models).length > 0 ? { models } : { models: undefined }),
  });
  try {
    compileRules([next], kinds);
  } catch (err) {
    throw new SawBrainError('QUERY_INVALID', (err as Error).message);
  }
  return next;
}
