import type { AnyMessage, TopicAddress } from '../contracts/index.js';
import type { RuleSeed, Seeds } from '../seeds/index.js';
import { type BladeLifeOptions, type BladePriors, DEFAULT_BLADE_LIFE } from './blade-life/tracker.js';
import { attribute, diagnose } from './diagnosis/diagnose.js';
import { type Dictionary, indexDictionary } from './diagnosis/dictionary.js';
import { applyBirth, applyBlade, applyState, feedSamples, readyCuts } from './feed.js';
import {
  DEFAULT_LIFECYCLE,
  type LifecycleConfig,
  LifecycleManager,
  type LifecycleOutput,
} from './lifecycle/manager.js';
import type { LifecycleEvent, WarningRecord } from './lifecycle/record.js';
import { MachineCtx } from './machine.js';
import { compileRules, RULE_KINDS, type RuleKind, type RuleSet } from './rules/index.js';
import { MachineRunners } from './runner.js';
import type { RuleFailure } from './types.js';

export interface EngineOptions {
  seeds: Seeds;
  /** the rules to run (default: seeds/rules.json); the service passes the latest stored versions */
  rules?: readonly RuleSeed[];
  /** extra rule implementations (e.g. a test's deliberately failing rule) */
  kinds?: readonly RuleKind[];
  lifecycle?: Partial<LifecycleConfig>;
  bladeLife?: Partial<BladeLifeOptions>;
  /** plant of a machine, for flood control per plant */
  plantOf?: (tenant: string, machine: string) => string | undefined;
}

/** What handling one message (or a tick, or an operator action) produced. */
export interface EngineOutput extends LifecycleOutput {
  failures: RuleFailure[];
}

/** Machines with a warning that stopped being active (cleared or closed) since `from`. */
function ended(events: readonly LifecycleEvent[], from: number): Set<string> {
  const out = new Set<string>();
  for (let i = from; i < events.length; i++) {
    const e = events[i]!;
    if (e.action === 'clear' || e.action === 'resolve') out.add(e.machine);
  }
  return out;
}

const emptyOutput = (): EngineOutput => ({ events: [], publish: [], changed: [], failures: [] });

/**
 * The analysis, pure: messages of the standard in → warnings and lifecycle events out; no I/O, no
 * clock of its own (device time from the messages; `tick(now)` for time-driven steps). The MQTT
 * service and the evaluation feed the same engine.
 *
 *   message → per-machine features (modes, cut × telemetry join, blade wear) → rules (isolated)
 *     → symptoms → diagnosis (fault dictionary) → lifecycle (one warning per machine and type)
 */
export class AnalysisEngine {
  readonly dict: Dictionary;
  private ruleSet: RuleSet;
  private readonly kinds: Map<string, RuleKind>;
  private readonly lifecycle: LifecycleManager;
  private readonly machines = new Map<string, { m: MachineCtx; runners: MachineRunners }>();
  private readonly priors: BladePriors;
  private readonly bladeOptions: BladeLifeOptions;
  readonly failureCounts = new Map<string, number>();

  constructor(private readonly o: EngineOptions) {
    this.kinds = new Map([...RULE_KINDS, ...(o.kinds ?? []).map((k) => [k.kind, k] as const)]);
    this.ruleSet = compileRules(o.rules ?? o.seeds.rules, this.kinds);
    this.dict = indexDictionary(o.seeds.faultDictionary);
    this.lifecycle = new LifecycleManager(this.dict, { ...DEFAULT_LIFECYCLE, ...o.lifecycle });
    const seeds = o.seeds;
    this.priors = {
      lifeFactor: (grade) => seeds.lookup.material.get(grade)?.lifeFactor ?? 1,
      nominalLifeCm2: (spec) =>
        spec?.catalogueId ? seeds.lookup.blade.get(spec.catalogueId)?.nominalLifeCm2 : undefined,
      breakInCm2: seeds.corrections.breakIn.areaCm2[1],
    };
    this.bladeOptions = { ...DEFAULT_BLADE_LIFE, ...o.bladeLife };
  }

  get rules(): RuleSet {
    return this.ruleSet;
  }

  /** Rule implementations the engine knows (for validating rule edits). */
  get ruleKinds(): ReadonlyMap<string, RuleKind> {
    return this.kinds;
  }

  /** Replaces the rule set (run-time edit); rules whose version did not change keep their state. */
  setRules(rules: readonly RuleSeed[]): void {
    const next = compileRules(rules, this.kinds);
    const old = new Map(this.ruleSet.rules.map((r) => [r.id, r]));
    this.ruleSet = {
      rules: next.rules.map((r) => {
        const prev = old.get(r.id);
        return prev && prev.version === r.version && prev.seed.kind === r.seed.kind ? prev : r;
      }),
      byId: next.byId,
    };
    for (const entry of this.machines.values()) {
      entry.runners = new MachineRunners(this.ruleSet.rules, entry.m, entry.runners);
    }
  }

  machine(id: string): MachineCtx | undefined {
    return this.machines.get(id)?.m;
  }

  machineIds(): string[] {
    return [...this.machines.keys()];
  }

  /** Open warnings (not yet resolved). */
  warnings(): WarningRecord[] {
    return this.lifecycle.list();
  }

  warning(id: string): WarningRecord | undefined {
    return this.lifecycle.get(id);
  }

  get floodLimited(): number {
    return this.lifecycle.floodLimited;
  }

  restoreWarnings(records: readonly WarningRecord[]): void {
    this.lifecycle.restore(records);
  }

  private entry(a: TopicAddress) {
    let e = this.machines.get(a.machine);
    if (!e) {
      const m = new MachineCtx(a.tenant, a.machine, this.priors, this.bladeOptions);
      m.plant = this.o.plantOf?.(a.tenant, a.machine);
      e = { m, runners: new MachineRunners(this.ruleSet.rules, m) };
      this.machines.set(a.machine, e);
    }
    return e;
  }

  /** Handles one validated message of the standard; `receivedAt` is the engine clock (default: its ts). */
  handle(a: TopicAddress, msg: AnyMessage, receivedAt: number = msg.payload.ts): EngineOutput {
    const out = emptyOutput();
    const e = this.entry(a);
    const m = e.m;
    const ts = msg.payload.ts;
    m.lastMessageTs = Math.max(m.lastMessageTs, ts);
    const run = (
      h: Parameters<MachineRunners['by']['onSample'][number]['run']>[0],
      t: number,
      arg: unknown,
    ) => {
      for (const r of e.runners.by[h]) r.run(h, t, arg, out.failures);
    };
    switch (msg.kind) {
      case 'birth':
        if (applyBirth(m, msg.payload, this.o.seeds.lookup.model.get(msg.payload.model))) {
          e.runners = new MachineRunners(this.ruleSet.rules, m, e.runners);
        }
        run('onBirth', ts, msg.payload);
        break;
      case 'telemetry':
        feedSamples(m, msg.payload, receivedAt, (t, sample) => run('onSample', t, sample));
        for (const c of readyCuts(m, receivedAt, this.priors.lifeFactor)) run('onCut', c.f.cut.end, c);
        break;
      case 'cut':
        run('onCutRecord', msg.payload.end, msg.payload);
        m.pendingCuts.push(msg.payload);
        m.pendingAt.push(receivedAt);
        for (const c of readyCuts(m, receivedAt, this.priors.lifeFactor)) run('onCut', c.f.cut.end, c);
        break;
      case 'state':
        applyState(m, msg.payload, receivedAt);
        run('onState', ts, msg.payload);
        break;
      case 'alarm':
        run('onAlarm', ts, msg.payload);
        break;
      case 'blade':
        run('onBlade', ts, msg.payload);
        applyBlade(m, msg.payload);
        break;
      default:
        return out;
    }
    this.settle(m, ts, out);
    this.count(out);
    return out;
  }

  /** Diagnoses a machine whose symptoms changed and updates its warnings. */
  private settle(m: MachineCtx, ts: number, out: EngineOutput): void {
    // Findings explained by another active warning are held back (attribute); when that warning
    // clears, the symptoms it was explaining are diagnosed again at once — they may be a fault of
    // their own (severe run-out that outlasts a failing chip brush) even though no symptom changed.
    for (let pass = 0; pass < 2; pass++) {
      if (m.dirty) {
        m.dirty = false;
        const active = new Set(this.lifecycle.activeTypes(m.id));
        this.lifecycle.apply(
          m,
          attribute(this.dict, diagnose(this.dict, m.activeSymptoms(), active), active),
          ts,
          out,
        );
      }
      const before = out.events.length;
      this.lifecycle.settleClears(m.id, ts, out);
      if (!ended(out.events, before).has(m.id)) break;
      m.dirty = true;
    }
  }

  /** Time-driven work at engine clock `now`: silence, late cut records, shelving, suppression. */
  tick(now: number): EngineOutput {
    const out = emptyOutput();
    for (const e of this.machines.values()) {
      const run = (h: 'onTick' | 'onCut', ts: number, arg: unknown) => {
        for (const r of e.runners.by[h]) r.run(h, ts, arg, out.failures);
      };
      for (const c of readyCuts(e.m, now, this.priors.lifeFactor)) run('onCut', c.f.cut.end, c);
      run('onTick', now, now);
      this.settle(e.m, now, out);
    }
    const before = out.events.length;
    this.lifecycle.tick(now, (id) => this.machines.get(id)?.m, out);
    for (const id of ended(out.events, before)) {
      const m = this.machines.get(id)?.m;
      if (m) m.dirty = true;
    }
    this.count(out);
    return out;
  }

  private count(out: EngineOutput): void {
    for (const f of out.failures) this.failureCounts.set(f.rule, (this.failureCounts.get(f.rule) ?? 0) + 1);
  }

  ack(
    id: string,
    by: string,
    now: number,
    note: string | null = null,
  ): { record?: WarningRecord; out: EngineOutput } {
    const out = emptyOutput();
    return { record: this.lifecycle.ack(id, by, now, note, out), out };
  }

  shelve(id: string, untilTs: number, by: string, now: number, note: string | null = null) {
    const out = emptyOutput();
    return { record: this.lifecycle.shelve(id, untilTs, by, now, note, out), out };
  }

  unshelve(id: string, by: string, now: number) {
    const out = emptyOutput();
    return { record: this.lifecycle.unshelve(id, by, now, out), out };
  }
}
