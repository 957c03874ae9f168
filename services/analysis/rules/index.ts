import { abruptStop } from './abrupt-stop.js';
import { alarmCode } from './alarm-code.js';
import { baselineDrift } from './baseline-drift.js';
import { cutDrift } from './cut-drift.js';
import { cutSpikes } from './cut-spikes.js';
import { cutThreshold } from './cut-threshold.js';
import { energyStep } from './energy-step.js';
import { flatline } from './flatline.js';
import { machineSilent } from './machine-silent.js';
import { missingSensor } from './missing-sensor.js';
import { rateOfChange } from './rate-of-change.js';
import { remainingLife } from './remaining-life.js';
import { roughness } from './roughness.js';
import { threshold } from './threshold.js';
import type { RuleKind } from './types.js';
import { wearRate } from './wear-rate.js';

/**
 * The rule implementations, by `kind`. seeds/rules.json instantiates them with parameters (per
 * machine model where needed); a new kind is one file here plus its line below.
 */
export const RULE_KINDS: ReadonlyMap<string, RuleKind> = new Map<string, RuleKind>(
  [
    threshold,
    rateOfChange,
    flatline,
    missingSensor,
    machineSilent,
    baselineDrift,
    roughness,
    cutDrift,
    cutSpikes,
    cutThreshold,
    wearRate,
    remainingLife,
    energyStep,
    abruptStop,
    alarmCode,
  ].map((k) => [k.kind, k as RuleKind]),
);

export { type CompiledRule, compileRules, type RuleSet } from './compile.js';
export type { CutEvent, RuleCtx, RuleKind, SampleEvent } from './types.js';
export { defineRule } from './types.js';
