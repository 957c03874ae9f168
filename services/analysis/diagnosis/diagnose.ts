import type { SymptomReport } from '../types.js';
import type { Dictionary, IndexedCause } from './dictionary.js';

export interface RankedCause {
  cause: string;
  probability: number;
  action: string;
}

/** One diagnosed condition: a warning type (the top cause) and what it rests on. */
export interface Finding {
  type: string;
  probability: number;
  causes: RankedCause[];
  /** the symptoms this finding explains */
  symptoms: SymptomReport[];
  /** the symptom that weighs most for the top cause (its rule is named on the warning) */
  primary: SymptomReport;
}

function rank(dict: Dictionary, present: ReadonlySet<string>, allActive: ReadonlySet<string>) {
  const leak = dict.settings.leak;
  const scored = dict.causes.map((c) => {
    let score = c.cause.prior;
    for (const s of present) score *= c.p.get(s) ?? leak;
    for (const [s, a] of c.absent) if (!allActive.has(s)) score *= a;
    return { c, score };
  });
  // "no fault": the symptoms are the detectors' false alarms on a healthy machine
  let none = dict.settings.noFaultPrior;
  for (const s of present) none *= dict.falseRate.get(s) ?? leak;
  const total = scored.reduce((sum, x) => sum + x.score, none);
  return scored
    .map((x) => ({ c: x.c, probability: total > 0 ? x.score / total : 0 }))
    .sort((a, b) => b.probability - a.probability);
}

function primaryOf(c: IndexedCause, symptoms: SymptomReport[]): SymptomReport {
  return symptoms.reduce((best, s) => ((c.p.get(s.symptom) ?? 0) > (c.p.get(best.symptom) ?? 0) ? s : best));
}

/**
 * Ranks the failure modes of the dictionary for a machine's active symptoms (naive Bayes: prior ×
 * P(symptom | cause) for the present symptoms × the absence likelihoods of the signature's absent
 * ones), against a "no fault" hypothesis (prior × each symptom's false-alarm rate), so a lone weak
 * symptom makes no warning. The top cause, if probable enough, becomes a finding and the symptoms
 * it explains are set aside; what is left is diagnosed again: two faults at once give two findings.
 * Causes with a warning already up (`standing`) are tried first: while their own symptoms still
 * diagnose them, those symptoms stay theirs, and only what is left can be a new fault (a chipped
 * tooth's step and a motor overload's trip, both warned, are not read together as a broken blade
 * that would explain both).
 */
export function diagnose(
  dict: Dictionary,
  active: readonly SymptomReport[],
  standing: ReadonlySet<string> = new Set(),
): Finding[] {
  const { minProbability, explainedAt, maxCauses } = dict.settings;
  const allActive = new Set(active.map((s) => s.symptom));
  let left = [...active];
  const findings: Finding[] = [];
  while (left.length > 0) {
    const present = new Set(left.map((s) => s.symptom));
    let found: Finding | undefined;
    // candidates in the order of the full ranking; each is judged on the symptoms it explains, so
    // the symptoms of a second, concurrent fault do not dilute the first one below the threshold
    const ranked = rank(dict, present, allActive);
    const order = [
      ...ranked.filter((r) => standing.has(r.c.cause.id)),
      ...ranked.filter((r) => !standing.has(r.c.cause.id)),
    ];
    for (const candidate of order) {
      const explained = left.filter((s) => (candidate.c.p.get(s.symptom) ?? 0) >= explainedAt);
      if (explained.length === 0) continue;
      const own = rank(dict, new Set(explained.map((s) => s.symptom)), allActive);
      const top = own[0]!;
      if (top.c !== candidate.c || top.probability < minProbability) continue;
      found = {
        type: top.c.cause.id,
        probability: top.probability,
        causes: own
          .slice(0, maxCauses)
          .filter((r) => r.probability >= 0.01)
          .map((r) => ({
            cause: r.c.cause.id,
            probability: Math.round(r.probability * 1000) / 1000,
            action: r.c.cause.action,
          })),
        symptoms: explained,
        primary: primaryOf(top.c, explained),
      };
      break;
    }
    if (!found) break;
    findings.push(found);
    left = left.filter((s) => !found.symptoms.includes(s));
  }
  return findings;
}

/**
 * Drops findings whose every symptom the machine's other active warnings already explain: a
 * symptom of a fault that is being worked on is not a new fault (e.g. the crooked cuts of a
 * failing chip brush while its warning is up). `active` are the types of those warnings.
 */
export function attribute(
  dict: Dictionary,
  findings: readonly Finding[],
  active: ReadonlySet<string>,
): Finding[] {
  const { explainedAt } = dict.settings;
  return findings.filter((f) => {
    if (active.has(f.type)) return true;
    for (const t of active) {
      const c = dict.byId.get(t);
      if (c && f.symptoms.every((s) => (c.p.get(s.symptom) ?? 0) >= explainedAt)) return false;
    }
    return true;
  });
}
