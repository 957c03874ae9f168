import type { RuleSeed } from '../seeds/index.js';
import { type BladeLifeEstimate, estimateLife } from './blade-life/remaining.js';
import type { AnalysisEngine } from './engine.js';
import type { AnalysisStore } from './store/sqlite.js';

/**
 * Read-only snapshot of what the analysis has learned, for the algorithms and supply-chain
 * databases (services/databases): every rule version (seed versions have no creation time)
 * and, per machine, the idle-power baseline, the sharp-blade e_A references, the blade-life
 * model and the mounted blade's estimate (areas in cm² of the reference material: life factor 1).
 * `seedRules`: the rules the service started from (seeds first, then plugins).
 */
export function learnedState(engine: AnalysisEngine, db: AnalysisStore, seedRules: readonly RuleSeed[]) {
  const ruleVersions = engine.rules.rules.flatMap((r) => {
    const stored = db.ruleHistory(r.id);
    const seed = seedRules.find((s) => s.id === r.id);
    return [
      ...(seed && !stored.some((v) => v.version === seed.version)
        ? [{ rule: seed, createdAt: null, author: null }]
        : []),
      ...stored.map((v) => ({ rule: v.rule, createdAt: v.createdAt, author: v.author })),
    ];
  });
  const machines = engine.machineIds().flatMap((id) => {
    const m = engine.machine(id);
    if (!m) return [];
    const t = m.blades;
    const blade: BladeLifeEstimate | undefined = t.current ? estimateLife(t, t.current, 1) : undefined;
    return [
      {
        tenant: m.tenant,
        machine: id,
        idlePowerKw: m.idle.ready ? m.idle.median : undefined,
        idleSamples: m.idle.count,
        refs: Object.fromEntries(t.refs) as Record<string, number>,
        endOfLife: t.endOfLife,
        expectedLifeCm2: t.expectedLife(),
        blade,
      },
    ];
  });
  return { ruleVersions, machines };
}
