import { describe, expect, it } from 'vitest';
import { DEFAULT_LIFECYCLE, LifecycleManager } from '../../services/analysis/lifecycle/manager.js';
import { dict, finding, MIN, machine, output, T0 } from './fixtures.js';

const cfg = { ...DEFAULT_LIFECYCLE, clearDelayMs: 5 * MIN };

describe('alarm lifecycle (OPC UA Part 9 / ISA-18.2)', () => {
  it('raised → acknowledged → cleared after the off-delay → resolved; published at each step', () => {
    const lm = new LifecycleManager(dict, cfg);
    const m = machine();
    const out = output();
    lm.apply(m, [finding('tension-loss')], T0, out);
    const [w] = lm.list();
    expect(w).toMatchObject({
      type: 'tension-loss',
      state: 'raised',
      occurrences: 1,
      rule: 'tension-loss-symptom@1',
    });
    expect(out.publish.map((r) => r.state)).toEqual(['raised']);
    lm.ack(w!.warningId, 'operator', T0 + MIN, 'seen', out);
    expect(lm.get(w!.warningId)!.state).toBe('acknowledged');
    lm.apply(m, [], T0 + 2 * MIN, out); // condition gone: off-delay starts
    expect(lm.get(w!.warningId)!.state).toBe('acknowledged');
    m.lastMessageTs = T0 + 8 * MIN;
    lm.tick(T0 + 8 * MIN, () => m, out);
    expect(lm.get(w!.warningId)).toBeUndefined(); // acked + cleared = resolved, closed
    expect(out.events.map((e) => e.action)).toEqual(['raise', 'ack', 'resolve']);
    expect(out.publish.map((r) => r.state)).toEqual(['raised', 'acknowledged', 'resolved']);
  });

  it('one open warning per machine and type; a re-occurrence counts and re-raises it', () => {
    const lm = new LifecycleManager(dict, cfg);
    const m = machine();
    const out = output();
    lm.apply(m, [finding('hydraulic-leak')], T0, out);
    lm.apply(m, [finding('hydraulic-leak')], T0 + MIN, out);
    expect(lm.list()).toHaveLength(1);
    lm.apply(m, [], T0 + 2 * MIN, out);
    lm.apply(m, [], T0 + 10 * MIN, out);
    expect(lm.list()[0]!.state).toBe('cleared');
    lm.apply(m, [finding('hydraulic-leak')], T0 + 20 * MIN, out);
    expect(lm.list()).toHaveLength(1);
    expect(lm.list()[0]).toMatchObject({ state: 'raised', occurrences: 2 });
    expect(out.events.map((e) => e.action)).toEqual(['raise', 'clear', 'reactivate']);
  });

  it('a condition that chatters within the off-delay does not clear or re-raise', () => {
    const lm = new LifecycleManager(dict, cfg);
    const m = machine();
    const out = output();
    for (let i = 0; i < 10; i++) lm.apply(m, i % 2 ? [] : [finding('chip-brush-failure')], T0 + i * MIN, out);
    expect(out.events.map((e) => e.action)).toEqual(['raise']);
  });

  it('a condition that keeps coming back soon after clearing gets a longer off-delay (chattering)', () => {
    const lm = new LifecycleManager(dict, cfg); // off-delay 5 min, chatter window 15 min
    const m = machine();
    const out = output();
    // a limit crossed on one cut in nine minutes, for four hours: each gap outlasts the off-delay
    let t = T0;
    for (let i = 0; i < 27; i++, t += 9 * MIN) {
      lm.apply(m, [finding('crooked-cut')], t, out);
      lm.apply(m, [], t + MIN, out);
      lm.settleClears(m.id, t + 8 * MIN, out);
    }
    // it cleared once, came back 3 min later: its off-delay doubled to 10 min and it stays up
    expect(out.events.map((e) => e.action)).toEqual(['raise', 'clear', 'reactivate']);
    expect(lm.list()[0]).toMatchObject({ state: 'raised', occurrences: 2, chatter: 1 });
    // gone for good: it clears after the longer off-delay …
    lm.settleClears(m.id, t - 9 * MIN + 11 * MIN, out);
    expect(lm.list()[0]!.state).toBe('cleared');
    // … and a return long after that is an ordinary re-occurrence again
    lm.apply(m, [finding('crooked-cut')], t + 60 * MIN, out);
    expect(lm.list()[0]).toMatchObject({ state: 'raised', occurrences: 3, chatter: 0 });
    // a critical warning (an overload trip each time) is annunciated at every return
    const trips = new LifecycleManager(dict, cfg);
    const out2 = output();
    for (let i = 0; i < 4; i++) {
      trips.apply(m, [finding('motor-overload')], T0 + i * 9 * MIN, out2);
      trips.apply(m, [], T0 + i * 9 * MIN + MIN, out2);
      trips.settleClears(m.id, T0 + i * 9 * MIN + 8 * MIN, out2);
    }
    expect(out2.events.filter((e) => e.action === 'reactivate')).toHaveLength(3);
  });

  it('shelving hides a warning until it expires (or is unshelved)', () => {
    const lm = new LifecycleManager(dict, cfg);
    const m = machine();
    const out = output();
    lm.apply(m, [finding('coolant-failure')], T0, out);
    const id = lm.list()[0]!.warningId;
    lm.shelve(id, T0 + 60 * MIN, 'operator', T0 + MIN, 'coolant being refilled', out);
    expect(lm.get(id)!.state).toBe('shelved');
    lm.tick(T0 + 30 * MIN, () => m, out);
    expect(lm.get(id)!.state).toBe('shelved');
    lm.tick(T0 + 61 * MIN, () => m, out);
    expect(lm.get(id)!.state).toBe('raised');
    expect(out.events.map((e) => [e.action, e.by])).toEqual([
      ['raise', null],
      ['shelve', 'operator'],
      ['unshelve', 'system'],
    ]);
  });

  it('suppresses new warnings while the machine is in setup or blade change, and releases them after', () => {
    const lm = new LifecycleManager(dict, cfg);
    const m = machine();
    m.pushState(T0, 'blade-change');
    const out = output();
    lm.apply(m, [finding('tension-loss')], T0 + MIN, out);
    expect(lm.list()[0]!.state).toBe('suppressed');
    expect(out.publish).toHaveLength(0);
    m.pushState(T0 + 10 * MIN, 'running');
    lm.tick(T0 + 11 * MIN, () => m, out);
    expect(lm.list()[0]!.state).toBe('raised');
    expect(out.publish.map((r) => r.state)).toEqual(['raised']);
  });

  it('a warning suppressed from the start and gone before release is closed silently', () => {
    const lm = new LifecycleManager(dict, cfg);
    const m = machine();
    m.pushState(T0, 'setup');
    const out = output();
    lm.apply(m, [finding('tension-loss')], T0 + MIN, out);
    lm.apply(m, [], T0 + 2 * MIN, out);
    lm.apply(m, [], T0 + 10 * MIN, out);
    expect(lm.list()).toHaveLength(0);
    expect(out.publish).toHaveLength(0);
  });

  it('breakage is never suppressed in maintenance states (its dictionary entry allows none)', () => {
    const lm = new LifecycleManager(dict, cfg);
    const m = machine();
    m.pushState(T0, 'blade-change');
    lm.apply(m, [finding('blade-breakage')], T0 + MIN, output());
    expect(lm.list()[0]!.state).toBe('raised');
  });

  it('flood control: at most N new warnings per machine and per plant per window; critical passes', () => {
    const lm = new LifecycleManager(dict, {
      ...cfg,
      flood: { windowMs: 10 * MIN, perMachine: 2, perPlant: 3 },
    });
    const a = machine('A');
    const b = machine('B');
    const out = output();
    lm.apply(a, [finding('tension-loss'), finding('hydraulic-leak'), finding('coolant-failure')], T0, out);
    lm.apply(b, [finding('tension-loss'), finding('hydraulic-leak')], T0, out);
    const states = lm.list().map((w) => `${w.machine}:${w.type}:${w.state}`);
    expect(states.filter((s) => s.endsWith(':raised'))).toHaveLength(3); // the plant's limit
    expect(states).toContain('A:coolant-failure:suppressed'); // the machine's limit
    lm.apply(
      b,
      [finding('tension-loss'), finding('hydraulic-leak'), finding('motor-overload')],
      T0 + MIN,
      out,
    );
    expect(lm.list().find((w) => w.type === 'motor-overload')!.state).toBe('raised'); // critical
    lm.tick(T0 + 12 * MIN, (id) => (id === 'A' ? a : b), out);
    expect(lm.list().filter((w) => w.state === 'suppressed')).toHaveLength(0); // released after the window
    expect(lm.floodLimited).toBeGreaterThan(0);
  });

  it('a cleared warning nobody acknowledges is resolved by the system after autoResolveMs', () => {
    const lm = new LifecycleManager(dict, { ...cfg, autoResolveMs: 60 * MIN });
    const m = machine();
    const out = output();
    lm.apply(m, [finding('hydraulic-leak')], T0, out);
    lm.apply(m, [], T0 + MIN, out);
    m.lastMessageTs = T0 + 7 * MIN;
    lm.tick(T0 + 7 * MIN, () => m, out);
    expect(lm.list()[0]!.state).toBe('cleared');
    m.lastMessageTs = T0 + 70 * MIN;
    lm.tick(T0 + 70 * MIN, () => m, out);
    expect(lm.list()).toHaveLength(0);
    expect(out.events.at(-1)).toMatchObject({ action: 'resolve', by: 'system' });
  });
});
