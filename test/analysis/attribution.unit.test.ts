import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AnalysisEngine, type EngineOutput } from '../../services/analysis/engine.js';
import { defineRule } from '../../services/analysis/rules/index.js';
import type { AnyMessage, Sample } from '../../services/contracts/index.js';
import { TELEMETRY_VARIABLE_NAMES } from '../../services/contracts/index.js';
import type { RuleSeed } from '../../services/seeds/index.js';
import { cuttingSample, MIN, seeds, T0 } from './fixtures.js';

/** A test rule: its symptom is on while a sample variable is above a level. */
const level = defineRule({
  kind: 'test-level',
  description: 'variable above a level (test)',
  params: z.strictObject({ variable: z.enum(['vibration', 'bladeDeviation']), above: z.number() }),
  init: () => ({}),
  onSample(_st, ctx, e, p) {
    const v = e.s[p.variable];
    if (typeof v === 'number') ctx.set(v > p.above, { [p.variable]: v });
  },
});

const rule = (id: string, symptom: string, variable: string, above: number): RuleSeed => ({
  id,
  version: 1,
  kind: 'test-level',
  symptom,
  enabled: true,
  description: id,
  params: { variable, above },
});

let seq = 0;
function feed(e: AnalysisEngine, msg: AnyMessage): EngineOutput {
  return e.handle({ tenant: 'chenlong', machine: 'M1', kind: msg.kind }, msg);
}
function samples(e: AnalysisEngine, from: number, n: number, over: Partial<Sample>): EngineOutput[] {
  const outs: EngineOutput[] = [];
  for (let i = 0; i < n; i += 5) {
    const batch = Array.from({ length: Math.min(5, n - i) }, (_, k) =>
      cuttingSample(from + (i + k) * 1000, over),
    );
    outs.push(
      feed(e, {
        kind: 'telemetry',
        payload: { v: 1, ts: batch.at(-1)!.ts, bootId: 'b', seq: seq++, samples: batch },
      }),
    );
  }
  return outs;
}
const raisedTypes = (outs: EngineOutput[]) =>
  outs
    .flatMap((o) => o.events)
    .filter((ev) => ev.action === 'raise')
    .map((ev) => ev.type);

describe('attribution to an active warning', () => {
  it('a crooked cut held back by an active chip-brush warning is raised once that warning clears', () => {
    const e = new AnalysisEngine({
      seeds,
      kinds: [level],
      rules: [
        rule('bursts', 'vibration-bursts', 'vibration', 3),
        rule('dev', 'deviation-high', 'bladeDeviation', 1),
        rule('dev-severe', 'deviation-severe', 'bladeDeviation', 1.5),
      ],
    });
    feed(e, {
      kind: 'birth',
      payload: {
        v: 1,
        ts: T0,
        bootId: 'b',
        seq: seq++,
        model: 'chenlong-gz4235',
        serial: 'S1',
        firmware: 'f',
        capabilities: [...TELEMETRY_VARIABLE_NAMES],
        sampleIntervalMs: 1000,
      },
    });
    feed(e, { kind: 'state', payload: { v: 1, ts: T0, bootId: 'b', seq: seq++, state: 'running' } });
    // blade bounce with severe run-out: one chip-brush warning, the crooked cuts are its symptom
    let outs = samples(e, T0, 60, { vibration: 5, bladeDeviation: 2 });
    expect(raisedTypes(outs)).toEqual(['chip-brush-failure']);
    // the bounce stops, the run-out stays: while the chip-brush warning is still up (off-delay),
    // the deviation is attributed to it …
    outs = samples(e, T0 + MIN, 10 * 60, { vibration: 0.6, bladeDeviation: 2 });
    expect(raisedTypes(outs)).toEqual([]);
    // … and once it has cleared, the run-out that outlasted it is a crooked cut of its own,
    // although no symptom changed
    outs = samples(e, T0 + 11 * MIN, 10 * 60, { vibration: 0.6, bladeDeviation: 2 });
    const events = outs.flatMap((o) => o.events);
    expect(events.find((ev) => ev.action === 'clear')?.type).toBe('chip-brush-failure');
    expect(raisedTypes(outs)).toEqual(['crooked-cut']);
    // at the moment the chip-brush warning clears, not at some later change of the symptoms
    const cleared = events.find((ev) => ev.action === 'clear')!;
    expect(events.find((ev) => ev.action === 'raise')!.ts).toBe(cleared.ts);
  });
});
