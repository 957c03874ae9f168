import { describe, expect, it } from 'vitest';
import type { AnyMessage, TopicAddress } from '../../services/contracts/index.js';
import type { Point } from '../../services/core/ports.js';
import { MachineDirectory, StreamBuilder } from '../../services/databases/index.js';
import { predictReplacements, weeklyDemand } from '../../services/databases/supplychain/forecast.js';
import { loadSeeds } from '../../services/seeds/index.js';

const seeds = loadSeeds('seeds');
const m0 = seeds.machines[0]!;
const A: TopicAddress = { tenant: m0.tenant, machine: m0.machineId, kind: 'state' };
const T = Date.UTC(2026, 0, 5);
const env = (ts: number, seq: number) => ({ v: 1 as const, ts, bootId: 'b1', seq });
const blade = {
  bladeId: 'B1',
  type: 'bimetal-m42' as const,
  widthMm: 27,
  thicknessMm: 0.9,
  lengthMm: 3000,
  tpi: '4/6',
};

function feed(b: StreamBuilder, msgs: AnyMessage[]): Point[] {
  return msgs.flatMap((m) => b.handle({ ...A, kind: m.kind }, m));
}

const telemetry = (from: number, n: number, every: number, power: number, seq: number): AnyMessage => ({
  kind: 'telemetry',
  payload: {
    ...env(from, seq),
    samples: Array.from({ length: n }, (_, i) => ({ ts: from + i * every, power })),
  },
});

describe('stream builder', () => {
  it('fills silences with offline spans and keeps the timeline contiguous', () => {
    const b = new StreamBuilder(new MachineDirectory(seeds), { seeds, gridKgPerKWh: 0.5, silenceMs: 60_000 });
    const points = [
      ...feed(b, [
        {
          kind: 'birth',
          payload: {
            ...env(T, 0),
            model: m0.model,
            serial: 's',
            firmware: 'f',
            capabilities: ['power'],
            sampleIntervalMs: 1000,
            blade,
          },
        },
        { kind: 'state', payload: { ...env(T, 1), state: 'running' } },
        telemetry(T, 10, 1000, 2, 2),
        // 10 minutes of nothing, then data again
        telemetry(T + 600_000, 10, 1000, 2, 3),
        { kind: 'state', payload: { ...env(T + 610_000, 4), state: 'idle' } },
      ]),
      ...b.flush(T + 620_000),
    ];
    const spans = points
      .filter((p) => p.measurement === 'state_span')
      .map((p) => ({ start: p.ts, end: p.fields.end as number, state: p.tags.state, open: p.fields.open }))
      .sort((a, b) => a.start - b.start || a.end - b.end);
    const final = new Map(spans.map((s) => [`${s.start}|${s.state}`, s]));
    const timeline = [...final.values()].sort((a, b) => a.start - b.start || a.end - b.end);
    expect(timeline.map((s) => s.state)).toEqual(['idle', 'running', 'offline', 'running', 'idle']);
    for (let i = 1; i < timeline.length; i++) expect(timeline[i]!.start).toBe(timeline[i - 1]!.end);
    expect(timeline.find((s) => s.state === 'offline')).toMatchObject({ start: T + 9000, end: T + 600_000 });
    expect(timeline.at(-1)).toMatchObject({ state: 'idle', open: true, end: T + 610_000 });
  });

  it('a machine a rollup found silent resumes in its state when it speaks again', () => {
    const b = new StreamBuilder(new MachineDirectory(seeds), { seeds, gridKgPerKWh: 0.5, silenceMs: 60_000 });
    const spans = (ps: Point[]) =>
      ps
        .filter((p) => p.measurement === 'state_span')
        .map((p) => [p.tags.state, p.ts - T, (p.fields.end as number) - T]);
    feed(b, [{ kind: 'state', payload: { ...env(T, 0), state: 'running' } }, telemetry(T, 10, 1000, 2, 1)]);
    // the fleet's clock is 5 minutes on: this machine is offline since its last sample
    expect(spans(b.flush(T + 300_000))).toEqual([
      ['running', 0, 9000],
      ['offline', 9000, 300_000],
    ]);
    const back = [...feed(b, [telemetry(T + 320_000, 5, 1000, 2, 2)]), ...b.flush(T + 325_000)];
    expect(spans(back)).toEqual([
      ['offline', 9000, 320_000],
      ['running', 320_000, 324_000],
    ]);
  });

  it('gives every cut to its blade in the ledger, also after a dismount', () => {
    const b = new StreamBuilder(new MachineDirectory(seeds), { seeds, gridKgPerKWh: 0.5, silenceMs: 60_000 });
    const cut = (id: string, bladeId: string, start: number, area: number, seq: number): AnyMessage => ({
      kind: 'cut',
      payload: {
        ...env(start + 60_000, seq),
        cutId: id,
        start,
        end: start + 60_000,
        completed: true,
        material: { grade: '1045' },
        section: { shape: 'round', diameterMm: 100 },
        areaCm2: area,
        cuttingRateCm2Min: area,
        energyKWh: 0.1,
        cuttingEnergyKWh: 0.05,
        peakCurrentA: 10,
        meanCurrentA: 8,
        maxDeviationMm: 0.1,
        bladeId,
      },
    });
    const points = [
      ...feed(b, [
        { kind: 'blade', payload: { ...env(T, 0), event: 'mount', blade, reason: 'new' } },
        cut('c1', 'B1', T + 1000, 50, 1),
        {
          kind: 'blade',
          payload: { ...env(T + 70_000, 2), event: 'dismount', blade, reason: 'worn', areaCutCm2: 50 },
        },
        // the cut record of the last cut arrives after the dismount
        cut('c2', 'B1', T + 62_000, 20, 3),
        cut('c3', 'B9', T + 200_000, 30, 4),
      ]),
      ...b.flush(T + 300_000, true),
    ];
    const ledger = new Map<string, Point>();
    for (const p of points.filter((x) => x.measurement === 'blade_ledger'))
      ledger.set(`${p.ts}|${p.fields.bladeId}`, p);
    const rows = [...ledger.values()].map((p) => p.fields);
    expect(rows.find((r) => r.bladeId === 'B1')).toMatchObject({
      areaCm2: 70,
      cuts: 2,
      open: false,
      reason: 'worn',
      fromNew: true,
    });
    expect(rows.find((r) => r.bladeId === 'B9')).toMatchObject({
      areaCm2: 30,
      cuts: 1,
      open: true,
      fromNew: false,
    });
    expect(points.filter((p) => p.measurement === 'cut_record')).toHaveLength(3);
  });
});

describe('replacement forecast', () => {
  it('counts one blade per predicted replacement in the weekly demand', () => {
    const info = {
      machineId: 'M',
      tenant: 't',
      plant: 'p',
      site: 's',
      region: 'r',
      industry: 'i',
      model: m0.model,
      sawType: 'horizontal',
      utcOffsetMinutes: 0,
    };
    const cat = seeds.blades.find((x) => x.widthMm === 27)!;
    const blade = {
      ts: T,
      tenant: 't',
      machine: 'M',
      bladeType: cat.type,
      supplier: cat.supplier,
      bladeId: 'B',
      catalogueId: cat.id,
      mountedAt: T,
      open: true,
      fromNew: true,
      areaCm2: cat.nominalLifeCm2 / 2,
      cuts: 10,
      grade: '1045',
      materialClass: 'x',
    };
    const perDay = cat.nominalLifeCm2 / 10; // a blade lasts 10 days
    const reps = predictReplacements(seeds, [{ info, blade, areaPerDayCm2: perDay }], [], T, 56);
    expect(reps.map((r) => Math.round((r.predictedAt - T) / 86_400_000))).toEqual([5, 15, 25, 35, 45, 55]);
    expect(reps[0]).toMatchObject({
      n: 1,
      bladeId: 'B',
      source: 'catalogue',
      remainingCm2: cat.nominalLifeCm2 / 2,
    });
    const demand = weeklyDemand(seeds, reps, () => m0.model);
    expect(demand.reduce((a, d) => a + d.blades, 0)).toBe(reps.length);
    // the remaining-life model, when it has an estimate for the mounted blade, comes first
    const est = predictReplacements(
      seeds,
      [{ info, blade, areaPerDayCm2: perDay, estimate: { bladeId: 'B', remainingCm2: perDay } }],
      [],
      T,
      56,
    );
    expect(est[0]).toMatchObject({ source: 'remaining-life-model', predictedAt: T + 86_400_000 });
  });
});
