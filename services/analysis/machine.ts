import type { Cut, MachineState, Sample } from '../contracts/index.js';
import type { SawModel } from '../seeds/index.js';
import { RobustBaseline } from './baselines/baseline.js';
import { type BladeLifeOptions, type BladePriors, BladeTracker } from './blade-life/tracker.js';
import { RecentIdle } from './features/idle.js';
import { forceOnN, type Mode } from './features/modes.js';
import { SampleRing } from './features/sample-ring.js';
import { getOrCreate, type SymptomReport } from './types.js';

/** Baselines a machine has learned, by feature key; they outlive rule edits. */
export type BaselineBank = Map<string, unknown>;

/**
 * Everything the analysis knows about one machine: identity and model (from `birth` and the
 * seeds), the controller state over time, recent samples, learned baselines, the blade being
 * followed, per-rule state and the symptoms the rules currently report.
 */
export class MachineCtx {
  modelId: string | undefined;
  model: SawModel | undefined;
  plant: string | undefined;
  capabilities: ReadonlySet<string> = new Set();
  sampleIntervalMs = 1000;
  forceOn = forceOnN(undefined);
  /** controller state changes, oldest first (last 32) */
  private readonly states: { ts: number; state: MachineState }[] = [];
  lastTelemetryTs = Number.NEGATIVE_INFINITY;
  lastMessageTs = Number.NEGATIVE_INFINITY;
  /** receive time (the engine's clock) of the last telemetry */
  lastTelemetryAt = Number.NEGATIVE_INFINITY;
  /** receive time (the engine's clock) of the last state change */
  stateSinceAt = Number.NEGATIVE_INFINITY;
  prev: { s: Sample; mode: Mode } | undefined;
  readonly ring = new SampleRing();
  /** cut records waiting for the telemetry of their window */
  readonly pendingCuts: Cut[] = [];
  /** engine-clock arrival of each pending cut */
  readonly pendingAt: number[] = [];
  readonly bank: BaselineBank = new Map();
  /** drive power with the blade running in the air, per cut's approach (P_idle, learned) */
  readonly idle = new RobustBaseline({ minCount: 5, learnZ: 6 });
  /** the last approaches' idle power: P_idle for e_A follows it when the idle power moved */
  readonly idleRecent = new RecentIdle();
  readonly blades: BladeTracker;
  /** rule id → { version, state } */
  readonly ruleState = new Map<string, { version: number; state: unknown }>();
  /** symptom → rule → report (active reports only) */
  readonly symptoms = new Map<string, Map<string, SymptomReport>>();
  /** set when the symptom picture changed since the last diagnosis */
  dirty = false;

  constructor(
    readonly tenant: string,
    readonly id: string,
    priors: BladePriors,
    bladeOptions?: BladeLifeOptions,
  ) {
    this.blades = new BladeTracker(priors, bladeOptions);
  }

  setModel(modelId: string, model: SawModel | undefined): void {
    this.modelId = modelId;
    this.model = model;
    this.forceOn = forceOnN(model);
  }

  /** Latest controller state. */
  get state(): MachineState | undefined {
    return this.states[this.states.length - 1]?.state;
  }

  get stateSince(): number {
    return this.states[this.states.length - 1]?.ts ?? Number.NEGATIVE_INFINITY;
  }

  pushState(ts: number, state: MachineState): void {
    if (this.state === state) return;
    this.states.push({ ts, state });
    if (this.states.length > 32) this.states.shift();
  }

  /** Controller state at time `ts` (samples arrive in batches, after the states of their time). */
  stateAt(ts: number): MachineState | undefined {
    for (let i = this.states.length - 1; i >= 0; i--)
      if (this.states[i]!.ts <= ts) return this.states[i]!.state;
    return this.states[0]?.state;
  }

  /** Sets or clears one rule's report of a symptom; marks the machine dirty on a change. */
  report(r: SymptomReport): void {
    const byRule = this.symptoms.get(r.symptom);
    const had = byRule?.get(r.rule);
    if (r.active) {
      getOrCreate(this.symptoms, r.symptom, () => new Map<string, SymptomReport>()).set(
        r.rule,
        had ? { ...r, ts: had.ts } : r,
      );
      if (!had) this.dirty = true;
    } else if (had) {
      byRule!.delete(r.rule);
      if (byRule!.size === 0) this.symptoms.delete(r.symptom);
      this.dirty = true;
    }
  }

  /** Removes every report of a rule (rule edited or disabled). */
  dropRule(rule: string): void {
    for (const [symptom, byRule] of this.symptoms) {
      for (const key of [...byRule.keys()]) {
        if (key === rule || key.startsWith(`${rule}@`)) {
          byRule.delete(key);
          this.dirty = true;
        }
      }
      if (byRule.size === 0) this.symptoms.delete(symptom);
    }
  }

  activeSymptoms(): SymptomReport[] {
    const out: SymptomReport[] = [];
    for (const byRule of this.symptoms.values()) {
      let best: SymptomReport | undefined;
      for (const r of byRule.values()) if (!best || r.ts < best.ts) best = r;
      if (best) {
        const evidence = Object.assign({}, ...[...byRule.values()].map((r) => r.evidence));
        out.push({
          ...best,
          evidence,
          remainingLife: [...byRule.values()].find((r) => r.remainingLife)?.remainingLife,
        });
      }
    }
    return out;
  }
}
