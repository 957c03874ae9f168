import { describe, expect, it } from 'vitest';
import { attribute, diagnose } from '../../services/analysis/diagnosis/diagnose.js';
import { indexDictionary } from '../../services/analysis/diagnosis/dictionary.js';
import type { SymptomReport } from '../../services/analysis/types.js';
import { loadSeeds } from '../../services/seeds/index.js';
import { FAULT_KINDS } from '../../services/simulator/index.js';

const seeds = loadSeeds('seeds');
const dict = indexDictionary(seeds.faultDictionary);
const sym = (...ids: string[]): SymptomReport[] =>
  ids.map((symptom) => ({
    symptom,
    rule: `${symptom}-rule@1`,
    active: true,
    ts: 0,
    evidence: { [symptom]: 1 },
  }));
const top = (...ids: string[]) => diagnose(dict, sym(...ids)).map((f) => f.type);

describe('fault dictionary (seeds/fault-dictionary.json)', () => {
  it('covers every failure mode of DOMAIN §2 with an action', () => {
    for (const kind of FAULT_KINDS) {
      const c = seeds.lookup.fault.get(kind);
      expect(c, kind).toBeDefined();
      expect(c!.category).toBe('fault');
      expect(c!.action.length).toBeGreaterThan(20);
    }
  });
});

describe('diagnosis: signature combinations → ranked causes', () => {
  it.each([
    [['tension-low'], 'tension-loss'],
    [['tension-low', 'deviation-high', 'blade-slip'], 'tension-loss'],
    [['hydraulic-pressure-low', 'hydraulic-unstable'], 'hydraulic-leak'],
    [['coolant-flow-low', 'blade-temp-high'], 'coolant-failure'],
    [['vibration-high', 'gearbox-temp-high'], 'wheel-bearing-wear'],
    [['vibration-bursts', 'deviation-high'], 'chip-brush-failure'],
    [['deviation-high', 'deviation-severe'], 'crooked-cut'],
    [['energy-step', 'force-spikes'], 'tooth-chipping'],
    [['wear-rate-high'], 'blade-wear'],
    [['abrupt-stop'], 'blade-breakage'],
    [['abrupt-stop', 'current-at-limit'], 'motor-overload'],
    [['current-at-limit'], 'motor-overload'],
    [['blade-end-of-life'], 'blade-life'],
    [['sensor-flatline'], 'sensor-fault'],
  ])('%j → %s', (symptoms, cause) => {
    const findings = diagnose(dict, sym(...symptoms));
    expect(findings[0]?.type).toBe(cause);
    expect(findings[0]!.causes[0]!.cause).toBe(cause);
    expect(findings[0]!.causes[0]!.action).toBe(seeds.lookup.fault.get(cause)!.action);
    const ps = findings[0]!.causes.map((c) => c.probability);
    expect([...ps].sort((a, b) => b - a)).toEqual(ps);
  });

  it('a lone weak symptom is more likely a false alarm than a fault: no finding', () => {
    expect(top('blade-temp-high')).toEqual([]);
    expect(top('cut-rate-drop')).toEqual([]);
    expect(top('deviation-high')).toEqual([]);
  });

  it('a mix below the absolute limit is a coolant failure even before a cut can show hot teeth', () => {
    // the saw stands still: no blade temperature to confirm it; the drift alone is not enough …
    expect(top('coolant-lean')).toEqual([]);
    // … the concentration below the absolute limit (or the controller's lean alarm) is
    expect(top('coolant-lean', 'coolant-lean-severe')).toEqual(['coolant-failure']);
  });

  it('a standing warning keeps the symptoms it still explains: its neighbours are no third fault', () => {
    // a chipped tooth (step, spikes) and a motor overload that tripped the saw (current at the
    // limit, abrupt stop) at once: read cold, a broken blade explains the step and the stop
    const both = sym('energy-step', 'force-spikes', 'abrupt-stop', 'current-at-limit');
    expect(diagnose(dict, both).map((f) => f.type)).toContain('blade-breakage');
    // with the chipping and overload warnings up, their symptoms stay theirs: nothing new is found
    const standing = new Set(['tooth-chipping', 'motor-overload']);
    expect(
      diagnose(dict, both, standing)
        .map((f) => f.type)
        .sort(),
    ).toEqual(['motor-overload', 'tooth-chipping']);
    // a stop that neither explains (no overload current) is still the blade breaking
    expect(diagnose(dict, sym('energy-step', 'abrupt-stop'), standing).map((f) => f.type)).toContain(
      'blade-breakage',
    );
    // a symptom neither of them explains is a finding of its own
    expect(diagnose(dict, [...both, ...sym('tension-low')], standing).map((f) => f.type)).toContain(
      'tension-loss',
    );
  });

  it('two faults at once give two findings (explain-away)', () => {
    expect(top('tension-low', 'hydraulic-pressure-low').sort()).toEqual(['hydraulic-leak', 'tension-loss']);
  });

  it('three concurrent conditions do not dilute each other below the threshold', () => {
    const types = top(
      'blade-end-of-life',
      'hydraulic-pressure-low',
      'hydraulic-unstable',
      'abrupt-stop',
      'controller-blade-broken',
    );
    expect(types.sort()).toEqual(['blade-breakage', 'blade-life', 'hydraulic-leak']);
  });

  it('names the rule of the symptom that weighs most for the top cause', () => {
    const [f] = diagnose(dict, sym('deviation-high', 'tension-low'));
    expect(f!.primary.rule).toBe('tension-low-rule@1');
  });

  it('does not raise a new fault for symptoms an active warning of the machine explains', () => {
    const crooked = diagnose(dict, sym('deviation-high'));
    expect(
      attribute(
        dict,
        diagnose(dict, sym('deviation-high', 'deviation-severe')),
        new Set(['hydraulic-leak']),
      )[0]!.type,
    ).toBe('crooked-cut');
    expect(attribute(dict, crooked, new Set(['tension-loss']))).toEqual([]);
  });

  it('crooked cuts of a failing chip brush stay with the chip brush, also when severe', () => {
    // one finding, not a chip-brush warning plus a crooked-cut one
    expect(top('vibration-bursts', 'deviation-high', 'deviation-severe')).toEqual(['chip-brush-failure']);
    const crooked = diagnose(dict, sym('deviation-high', 'deviation-severe'));
    expect(crooked[0]!.type).toBe('crooked-cut');
    expect(attribute(dict, crooked, new Set(['chip-brush-failure']))).toEqual([]);
    // without a chip-brush warning up, severe deviation is still a crooked cut
    expect(attribute(dict, crooked, new Set(['hydraulic-leak']))[0]!.type).toBe('crooked-cut');
  });

  it.each(['wheel-bearing-wear', 'chip-brush-failure'])(
    'faster wear while a %s warning is up is that fault, not a second blade-wear warning',
    (open) => {
      const wear = diagnose(dict, sym('wear-rate-high'));
      expect(wear[0]!.type).toBe('blade-wear');
      expect(attribute(dict, wear, new Set([open]))).toEqual([]);
      expect(attribute(dict, wear, new Set(['hydraulic-leak']))[0]!.type).toBe('blade-wear');
    },
  );

  it('faster wear during chipping is abnormal wear of its own: steps are not in the wear trend (DOMAIN §4)', () => {
    expect(top('energy-step', 'force-spikes', 'wear-rate-high')).toEqual(['tooth-chipping', 'blade-wear']);
    const wear = diagnose(dict, sym('wear-rate-high'));
    expect(attribute(dict, wear, new Set(['tooth-chipping']))[0]!.type).toBe('blade-wear');
  });
});
