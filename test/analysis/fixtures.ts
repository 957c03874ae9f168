import type { Finding } from '../../services/analysis/diagnosis/diagnose.js';
import { indexDictionary } from '../../services/analysis/diagnosis/dictionary.js';
import type { LifecycleOutput } from '../../services/analysis/lifecycle/manager.js';
import { MachineCtx } from '../../services/analysis/machine.js';
import type { Sample } from '../../services/contracts/index.js';
import { loadSeeds } from '../../services/seeds/index.js';

export const seeds = loadSeeds('seeds');
export const dict = indexDictionary(seeds.faultDictionary);
export const T0 = Date.UTC(2026, 2, 2, 8, 0, 0);
export const MIN = 60_000;

export const priors = {
  lifeFactor: (grade: string) => seeds.lookup.material.get(grade)?.lifeFactor ?? 1,
  nominalLifeCm2: () => 30_000,
  breakInCm2: 645,
};

export function machine(id = 'M1', model = 'chenlong-gz4235', plant = 'P1'): MachineCtx {
  const m = new MachineCtx('chenlong', id, priors);
  m.setModel(model, seeds.lookup.model.get(model));
  m.plant = plant;
  m.pushState(T0 - MIN, 'running');
  return m;
}

export function finding(type: string, symptom = `${type}-symptom`): Finding {
  const s = { symptom, rule: `${symptom}@1`, active: true, ts: T0, evidence: { x: 1 } };
  return {
    type,
    probability: 0.9,
    causes: [{ cause: type, probability: 0.9, action: 'do something' }],
    symptoms: [s],
    primary: s,
  };
}

export const output = (): LifecycleOutput => ({ events: [], publish: [], changed: [] });

/** A cutting sample of a healthy GZ4235 (values in the model's normal range). */
export function cuttingSample(ts: number, over: Partial<Sample> = {}): Sample {
  return {
    ts,
    bladeSpeed: 60,
    downFeed: 40,
    feedForce: 1800,
    motorCurrent: 4.2,
    power: 1.6,
    hydraulicPressure: 3,
    bladeTension: 180,
    bladeDeviation: 0.05,
    vibration: 0.6,
    motorTemp: 45,
    hydraulicOilTemp: 35,
    coolantTemp: 22,
    bladeTemp: 60,
    gearboxTemp: 35,
    coolantFlow: 15,
    coolantConcentration: 15,
    headPosition: 80,
    ...over,
  };
}
