import type { z } from 'zod';
import type { Warning } from '../contracts/index.js';

/** Figures behind a symptom or warning (the contract's `evidence`). */
export type Evidence = Record<string, number | string | boolean>;

/** Remaining blade life as the contract publishes it. */
export type RemainingLife = NonNullable<z.infer<typeof Warning>['remainingLife']>;

/** What a rule reports about one machine: its symptom is present (or not) since `ts`. */
export interface SymptomReport {
  symptom: string;
  /** `ruleId@version` */
  rule: string;
  active: boolean;
  ts: number;
  evidence: Evidence;
  remainingLife?: RemainingLife;
}

/** A rule that threw: the engine isolates it and reports the failure instead. */
export interface RuleFailure {
  rule: string;
  machine: string;
  message: string;
  ts: number;
}

export const round = (x: number, decimals = 3): number => {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
};

/** The map's value for `key`, created (and stored) on first use. */
export function getOrCreate<K, V>(map: Map<K, unknown>, key: K, create: () => V): V {
  let v = map.get(key) as V | undefined;
  if (v === undefined) {
    v = create();
    map.set(key, v);
  }
  return v;
}
