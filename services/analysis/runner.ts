import type { MachineCtx } from './machine.js';
import type { CompiledRule, RuleCtx, RuleKind } from './rules/index.js';
import type { Evidence, RemainingLife, RuleFailure } from './types.js';

type Handler = Exclude<keyof RuleKind, 'kind' | 'description' | 'params' | 'init'>;

/** Consecutive failures after which a rule is switched off for one machine. */
export const QUARANTINE_AFTER = 50;

/**
 * One rule on one machine: its parameters for the machine's model, its state, and the context it
 * reports through. Every call is isolated: an exception is recorded as a failure, the other rules
 * and the rest of the message carry on; a rule failing persistently is quarantined on that machine.
 */
export class RuleRunner implements RuleCtx {
  readonly params: unknown;
  readonly modelId: string | undefined;
  private state: unknown;
  ts = 0;
  private failures = 0;
  quarantined = false;

  constructor(
    readonly rule: CompiledRule,
    readonly m: MachineCtx,
  ) {
    this.modelId = m.modelId;
    this.params = rule.paramsFor(m.modelId);
    this.state = rule.kind.init(m, this.params);
  }

  get active(): boolean {
    return this.m.symptoms.get(this.rule.symptom)?.has(this.rule.ref) ?? false;
  }

  set(active: boolean, evidence: Evidence = {}, remainingLife?: RemainingLife): void {
    this.m.report({
      symptom: this.rule.symptom,
      rule: this.rule.ref,
      active,
      ts: this.ts,
      evidence,
      ...(remainingLife ? { remainingLife } : {}),
    });
  }

  has(h: Handler): boolean {
    return typeof this.rule.kind[h] === 'function';
  }

  /** Calls handler `h` with `arg`; returns a failure record if it threw. */
  run(h: Handler, ts: number, arg: unknown, failures: RuleFailure[]): void {
    if (this.quarantined) return;
    this.ts = ts;
    try {
      (this.rule.kind[h] as (s: unknown, c: RuleCtx, a: unknown, p: unknown) => void).call(
        this.rule.kind,
        this.state,
        this,
        arg,
        this.params,
      );
      this.failures = 0;
    } catch (err) {
      this.failures++;
      if (this.failures >= QUARANTINE_AFTER) this.quarantined = true;
      failures.push({
        rule: this.rule.ref,
        machine: this.m.id,
        message: err instanceof Error ? err.message : String(err),
        ts,
      });
    }
  }
}

/** The runners of one machine, grouped by the handlers they implement. */
export class MachineRunners {
  readonly all: RuleRunner[];
  readonly by: Record<Handler, RuleRunner[]>;

  constructor(rules: readonly CompiledRule[], m: MachineCtx, previous?: MachineRunners) {
    const kept = new Map(previous?.all.map((r) => [r.rule.id, r]));
    this.all = [];
    for (const rule of rules) {
      const old = kept.get(rule.id);
      if (!rule.enabled) {
        if (old) m.dropRule(old.rule.ref);
        continue;
      }
      if (old && old.rule === rule && old.modelId === m.modelId) this.all.push(old);
      else {
        if (old) m.dropRule(old.rule.ref);
        this.all.push(new RuleRunner(rule, m));
      }
    }
    for (const [id, old] of kept) if (!rules.some((r) => r.id === id)) m.dropRule(old.rule.ref);
    const handlers: Handler[] = [
      'onBirth',
      'onSample',
      'onCutRecord',
      'onCut',
      'onState',
      'onAlarm',
      'onBlade',
      'onTick',
    ];
    this.by = Object.fromEntries(handlers.map((h) => [h, this.all.filter((r) => r.has(h))])) as Record<
      Handler,
      RuleRunner[]
    >;
  }
}
