import type { z } from 'zod';
import type { Alarm, Birth, BladeEvent, Cut, MachineState, Sample, State } from '../../contracts/index.js';
import type { BladeLifeEstimate } from '../blade-life/remaining.js';
import type { WearUpdate } from '../blade-life/tracker.js';
import type { CutFeatures } from '../features/cut-features.js';
import type { Mode } from '../features/modes.js';
import type { MachineCtx } from '../machine.js';
import type { Evidence, RemainingLife } from '../types.js';

/** What a rule may do while it handles one message of one machine. */
export interface RuleCtx {
  readonly m: MachineCtx;
  /** device time of what is being handled (the sample, the message, or the tick's clock) */
  readonly ts: number;
  /** whether this rule currently reports its symptom on this machine */
  readonly active: boolean;
  /** reports this rule's symptom present or absent */
  set(active: boolean, evidence?: Evidence, remainingLife?: RemainingLife): void;
}

export interface SampleEvent {
  s: Sample;
  mode: Mode;
  /** controller state at the sample's time */
  state: MachineState | undefined;
  prev: Sample | undefined;
  prevMode: Mode | undefined;
}

/** A cut once the telemetry of its window has arrived, with the blade's wear picture after it. */
export interface CutEvent {
  f: CutFeatures;
  wear: WearUpdate | undefined;
  life: BladeLifeEstimate | undefined;
}

/**
 * A rule implementation: a pure function of per-machine state and a message. The engine creates
 * one state per machine (`init`) and calls the handlers the rule has; a handler that throws is
 * isolated (counted, reported) and never stops the other rules or the service.
 */
export interface RuleKind<P = unknown, S = unknown> {
  readonly kind: string;
  readonly description: string;
  readonly params: z.ZodType<P>;
  init(m: MachineCtx, p: P): S;
  onBirth?(s: S, ctx: RuleCtx, b: Birth, p: P): void;
  onSample?(s: S, ctx: RuleCtx, e: SampleEvent, p: P): void;
  /** the cut record as soon as it arrives (before its telemetry) */
  onCutRecord?(s: S, ctx: RuleCtx, c: Cut, p: P): void;
  onCut?(s: S, ctx: RuleCtx, e: CutEvent, p: P): void;
  onState?(s: S, ctx: RuleCtx, st: State, p: P): void;
  onAlarm?(s: S, ctx: RuleCtx, a: Alarm, p: P): void;
  onBlade?(s: S, ctx: RuleCtx, b: BladeEvent, p: P): void;
  onTick?(s: S, ctx: RuleCtx, now: number, p: P): void;
}

/** Typed helper: `defineRule({...})` infers P and S from the schema and `init`. */
export function defineRule<P, S>(k: RuleKind<P, S>): RuleKind<P, S> {
  return k;
}
