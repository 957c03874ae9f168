import { formatIssues } from '../../contracts/index.js';
import { SawBrainError } from '../../core/errors.js';
import type { RuleSeed } from '../../seeds/index.js';
import type { RuleKind } from './types.js';

/** A rule instance ready to run: its implementation and its parameters per machine model. */
export interface CompiledRule {
  readonly id: string;
  readonly version: number;
  /** `id@version`, what warnings and feedback name */
  readonly ref: string;
  readonly symptom: string;
  readonly enabled: boolean;
  readonly kind: RuleKind;
  readonly seed: RuleSeed;
  /** parsed parameters for a model (defaults merged with the model's overrides) */
  paramsFor(modelId: string | undefined): unknown;
}

export interface RuleSet {
  readonly rules: readonly CompiledRule[];
  readonly byId: ReadonlyMap<string, CompiledRule>;
}

function compileOne(seed: RuleSeed, kind: RuleKind, problems: string[]): CompiledRule {
  const cache = new Map<string, unknown>();
  const parse = (model: string | undefined) => {
    const raw = { ...seed.params, ...(model ? seed.models?.[model] : undefined) };
    const r = kind.params.safeParse(raw);
    if (!r.success) {
      problems.push(`rule ${seed.id}${model ? ` (model ${model})` : ''}: ${formatIssues(r.error.issues)}`);
      return undefined;
    }
    return r.data;
  };
  const defaults = parse(undefined);
  for (const model of Object.keys(seed.models ?? {})) cache.set(model, parse(model));
  return {
    id: seed.id,
    version: seed.version,
    ref: `${seed.id}@${seed.version}`,
    symptom: seed.symptom,
    enabled: seed.enabled,
    kind,
    seed,
    paramsFor: (model) => (model !== undefined && cache.has(model) ? cache.get(model) : defaults),
  };
}

/**
 * Checks every rule against its implementation's parameter schema (defaults and each model
 * override) and throws one CONFIG_INVALID listing every problem.
 */
export function compileRules(seeds: readonly RuleSeed[], kinds: ReadonlyMap<string, RuleKind>): RuleSet {
  const problems: string[] = [];
  const rules: CompiledRule[] = [];
  const ids = new Set<string>();
  for (const seed of seeds) {
    if (ids.has(seed.id)) problems.push(`rule ${seed.id}: duplicate id`);
    ids.add(seed.id);
    const kind = kinds.get(seed.kind);
    if (!kind) {
      problems.push(`rule ${seed.id}: unknown kind "${seed.kind}" (kinds: ${[...kinds.keys()].join(', ')})`);
      continue;
    }
    rules.push(compileOne(seed, kind, problems));
  }
  if (problems.length > 0) throw new SawBrainError('CONFIG_INVALID', `rules: ${problems.join('; ')}`);
  return { rules, byId: new Map(rules.map((r) => [r.id, r])) };
}
