import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Cut,
  type MessageKind,
  parseTopic,
  type Sample,
  type Section,
  validateMessage,
} from '../../services/contracts/index.js';
import { silentLogger } from '../../services/core/logger.js';
import { loadSeeds } from '../../services/seeds/index.js';
import {
  areaBelowMm2,
  chartPoint,
  demoFleetMachines,
  descend,
  FAULT_KINDS,
  type FaultKind,
  type FaultLabel,
  type FaultSpec,
  Fleet,
  type OutMessage,
  Rng,
  randomFaultPlan,
  runOffline,
  SawSimulator,
  type SimEvent,
  sectionAreaCm2,
  shiftStatus,
  writeLabels,
} from '../../services/simulator/index.js';
import { freePort, waitFor } from '../helpers/ports.js';

const seeds = loadSeeds('seeds');
const H = 3_600_000;
const MIN = 60_000;
/** Monday 2025-03-03 09:00 in China (UTC+8). */
const START = Date.UTC(2025, 2, 3, 1, 0, 0);
const ROUND200: Section = { shape: 'round', diameterMm: 200 };

const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
const sd = (xs: readonly number[]) => {
  const m = mean(xs);
  return Math.sqrt(mean(xs.map((x) => (x - m) ** 2)));
};

/** Independent geometry (DOMAIN §1), not the simulator's. */
function expectedAreaCm2(s: Section): number {
  const d = s.diameterMm ?? 0;
  const w = s.widthMm ?? 0;
  const h = s.heightMm ?? w;
  const t = s.wallMm ?? 0;
  const mm2 = {
    round: (Math.PI * d * d) / 4,
    tube: (Math.PI * (d * d - (d - 2 * t) ** 2)) / 4,
    square: w * h,
    rectangle: w * h,
    'rect-tube': w * h - (w - 2 * t) * (h - 2 * t),
    profile: 2 * w * t + (h - 2 * t) * t,
    bundle: 0.6 * w * h,
  }[s.shape];
  return mm2 / 100;
}

function machineOf(m: OutMessage): string {
  return parseTopic(m.topic)!.machine;
}

function samplesByMachine(messages: readonly OutMessage[]): Map<string, Sample[]> {
  const map = new Map<string, Sample[]>();
  for (const m of messages) {
    if (m.kind !== 'telemetry') continue;
    const list = map.get(machineOf(m)) ?? [];
    list.push(...(m.payload.samples as Sample[]));
    map.set(machineOf(m), list);
  }
  return map;
}

interface Run {
  events: SimEvent[];
  samples: Sample[];
  cuts: Cut[];
  labels: FaultLabel[];
  sim: SawSimulator;
}

function simulate(o: {
  hours: number;
  faults?: FaultSpec[];
  seed?: number;
  initialBladeUse?: number;
  sampleIntervalMs?: number;
}): Run {
  const sim = new SawSimulator({
    machineId: 'SIM-1',
    seeds,
    model: 'chenlong-gz4235',
    industry: 'automotive-parts',
    region: 'cn-zhejiang',
    seed: o.seed ?? 11,
    startMs: START,
    sampleIntervalMs: o.sampleIntervalMs ?? 1000,
    schedule: 'always',
    job: { grade: '1045', section: ROUND200 },
    initialBladeUse: o.initialBladeUse ?? 0.2,
    blade: 'wk-m42-34-1.1-3-4',
    faults: o.faults,
  });
  const events = sim.advance(START + o.hours * H - 1);
  return {
    events,
    sim,
    samples: events.flatMap((e) => (e.kind === 'sample' ? [e.sample] : [])),
    cuts: events.flatMap((e) => (e.kind === 'cut' ? [e.body as Cut] : [])),
    labels: sim.labels(),
  };
}

const within = (samples: readonly Sample[], from: number, to: number) =>
  samples.filter((s) => s.ts >= from && s.ts < to);
const cutting = (samples: readonly Sample[]) => samples.filter((s) => (s.feedForce ?? 0) > 50);
const running = (samples: readonly Sample[]) => samples.filter((s) => (s.bladeSpeed ?? 0) > 0);
const field = (samples: readonly Sample[], k: keyof Sample) => samples.map((s) => s[k] as number);

// ------------------------------------------------------------------------------------------ rng

describe('rng', () => {
  it('is deterministic per seed and forks independent streams', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(new Rng(8).next()).not.toBe(xs[0]);
    expect(new Rng(7).fork('x').next()).toBe(new Rng(7).fork('x').next());
    expect(new Rng(7).fork('x').next()).not.toBe(new Rng(7).fork('y').next());
  });

  it('draws normal and gamma with the right moments', () => {
    const r = new Rng(3);
    const n = Array.from({ length: 20_000 }, () => r.normal(5, 2));
    expect(mean(n)).toBeCloseTo(5, 1);
    expect(sd(n)).toBeCloseTo(2, 1);
    const g = Array.from({ length: 20_000 }, () => r.gamma(4, 0.5));
    expect(mean(g)).toBeCloseTo(2, 1);
    const small = Array.from({ length: 20_000 }, () => r.gamma(0.5, 2));
    expect(mean(small)).toBeCloseTo(1, 1);
  });
});

// ------------------------------------------------------------------------------------- geometry

describe('section geometry', () => {
  const sections: Section[] = [
    ROUND200,
    { shape: 'tube', diameterMm: 150, wallMm: 12 },
    { shape: 'square', widthMm: 80, heightMm: 80 },
    { shape: 'rectangle', widthMm: 300, heightMm: 120 },
    { shape: 'rect-tube', widthMm: 120, heightMm: 80, wallMm: 6 },
    { shape: 'profile', widthMm: 150, heightMm: 300, wallMm: 10 },
    { shape: 'bundle', widthMm: 200, heightMm: 100, pieces: 12 },
  ];
  it.each(sections)('area of $shape matches DOMAIN §1', (s) => {
    expect(sectionAreaCm2(s)).toBeCloseTo(expectedAreaCm2(s), 6);
  });

  it('removes exactly the requested area while descending, never more than the feed limit', () => {
    const s: Section = { shape: 'tube', diameterMm: 150, wallMm: 12 };
    const y1 = descend(s, 100, 500, 50);
    expect(areaBelowMm2(s, 100) - areaBelowMm2(s, y1)).toBeCloseTo(500, 3);
    const y2 = descend(s, 100, 1e9, 5);
    expect(y2).toBeCloseTo(95, 9);
  });
});

// ---------------------------------------------------------------------------------- cutting chart

describe('chart point (DOMAIN §3)', () => {
  const model = seeds.lookup.model.get('chenlong-gz4235')!;
  const blade = seeds.lookup.blade.get('wk-m42-34-1.1-3-4')!;
  const c45 = seeds.lookup.material.get('1045')!;
  it('gives ~60 m/min and ~55 cm²/min for 1045 Ø200 mm', () => {
    const p = chartPoint(seeds.corrections, c45, ROUND200, model, blade);
    expect(p.speedMMin).toBeCloseTo(60, 0);
    expect(p.rateCm2Min).toBeCloseTo(55, 0);
    expect(p.pitchFactor).toBe(1);
  });
  it('slows down for larger sections and for a pitch finer than optimum', () => {
    const big = chartPoint(seeds.corrections, c45, { shape: 'round', diameterMm: 330 }, model, blade);
    expect(big.speedMMin).toBeLessThan(60);
    // 4/6 TPI suits 3–6" (DOMAIN §3) but is finer than optimum on Ø200 mm: feed × 0.70
    const pitch46 = seeds.lookup.blade.get('wk-m42-34-1.1-4-6')!;
    expect(
      chartPoint(seeds.corrections, c45, { shape: 'round', diameterMm: 120 }, model, pitch46).pitchFactor,
    ).toBe(1);
    expect(chartPoint(seeds.corrections, c45, ROUND200, model, pitch46).pitchFactor).toBe(0.7);
  });
});

// ------------------------------------------------------------------------------- schedule

describe('shift calendar', () => {
  const at = (h: number, m = 0, day = 3) => Date.UTC(2025, 2, day, h - 8, m);
  it('knows working time, breaks, nights and Sundays', () => {
    expect(shiftStatus('2x8', at(10), 480).working).toBe(true);
    expect(shiftStatus('2x8', at(12, 20), 480)).toEqual({ working: false, reason: 'break' });
    expect(shiftStatus('2x8', at(27), 480)).toEqual({ working: false, reason: 'off-shift' });
    expect(shiftStatus('1x8', at(10, 0, 9), 480)).toEqual({ working: false, reason: 'off-shift' });
    expect(shiftStatus('3x8', at(26), 480).working).toBe(true);
    expect(shiftStatus('always', at(26), 480).working).toBe(true);
  });
});

// ----------------------------------------------------------------------------- fleet, one hour

describe('demo fleet, one simulated hour offline', () => {
  const machines = demoFleetMachines(seeds);
  let run: ReturnType<typeof runOffline>;
  let samples: Map<string, Sample[]>;
  beforeAll(() => {
    run = runOffline(machines, START, START + H, { seeds, seed: 7, samplesPerMessage: 10 });
    samples = samplesByMachine(run.messages);
  });

  it('every message validates against the contract schema on its topic', () => {
    expect(run.messages.length).toBeGreaterThan(machines.length * 360);
    const problems: string[] = [];
    for (const m of run.messages) {
      const address = parseTopic(m.topic);
      expect(address?.kind).toBe(m.kind);
      const r = validateMessage(m.kind as MessageKind, m.payload);
      if (!r.ok) problems.push(`${m.topic}: ${r.message}`);
    }
    expect(problems).toEqual([]);
  });

  it('uses one boot per machine with seq starting at 0 (birth) and +1 per message', () => {
    const byBoot = new Map<string, OutMessage[]>();
    for (const m of run.messages) {
      const key = `${machineOf(m)}/${m.payload.bootId as string}`;
      byBoot.set(key, [...(byBoot.get(key) ?? []), m]);
    }
    expect(byBoot.size).toBe(machines.length);
    for (const list of byBoot.values()) {
      expect(list[0]!.kind).toBe('birth');
      list.forEach((m, i) => {
        expect(m.payload.seq).toBe(i);
      });
    }
  });

  it('retains birth and state only; topics carry the tenant and machine', () => {
    for (const m of run.messages) {
      expect(m.retain).toBe(m.kind === 'birth' || m.kind === 'state');
      const machine = machines.find((x) => x.machineId === machineOf(m))!;
      expect(parseTopic(m.topic)!.tenant).toBe(machine.tenant);
    }
  });

  it('publishes every sample exactly once, in order, one per interval', () => {
    for (const m of machines) {
      const list = samples.get(m.machineId)!;
      expect(list).toHaveLength(3600);
      list.forEach((s, i) => {
        expect(s.ts).toBe(START + i * 1000);
      });
    }
    for (const m of run.messages.filter((x) => x.kind === 'telemetry')) {
      expect((m.payload.samples as Sample[]).length).toBeLessThanOrEqual(10);
    }
  });

  it('healthy machines raise no alarms and produce no labels; nothing label-like is published', () => {
    expect(run.labels).toEqual([]);
    expect(run.messages.filter((m) => m.kind === 'alarm')).toEqual([]);
    const text = JSON.stringify(run.messages.map((m) => m.payload));
    expect(text).not.toMatch(/"(fault|onsetTs|eventTs|endTs|label)"/);
  });

  it('reports cut areas from the section geometry', () => {
    const cuts = run.messages.filter((m) => m.kind === 'cut').map((m) => m.payload as Cut);
    expect(cuts.length).toBeGreaterThan(20);
    for (const c of cuts.filter((x) => x.completed)) {
      expect(c.areaCm2).toBeCloseTo(expectedAreaCm2(c.section), 1);
    }
  });

  it('reports cut energy equal to the integral of the published samples', () => {
    let checked = 0;
    for (const m of run.messages.filter((x) => x.kind === 'cut')) {
      const cut = m.payload as Cut;
      const machine = machines.find((x) => x.machineId === machineOf(m))!;
      const idleKw = seeds.lookup.model.get(machine.model)!.idlePowerKw;
      const inCut = within(samples.get(machine.machineId)!, cut.start, cut.end);
      expect(inCut.length).toBe((cut.end - cut.start) / 1000);
      const kwh = (p: number) => (p * 1000) / 3_600_000;
      const energy = inCut.reduce((s, x) => s + kwh(x.power!), 0);
      const cuttingShare = inCut.reduce((s, x) => s + kwh(Math.max(0, x.power! - idleKw)), 0);
      expect(Math.abs(energy - cut.energyKWh)).toBeLessThan(1e-6);
      expect(Math.abs(cuttingShare - cut.cuttingEnergyKWh)).toBeLessThan(1e-6);
      expect(cut.peakCurrentA).toBeCloseTo(Math.max(...field(inCut, 'motorCurrent')), 6);
      // the head descends through the section during the cut
      const heads = field(inCut, 'headPosition');
      for (let i = 1; i < heads.length; i++) expect(heads[i]!).toBeLessThanOrEqual(heads[i - 1]!);
      expect(heads[heads.length - 1]).toBe(0);
      checked++;
    }
    expect(checked).toBeGreaterThan(20);
  });
});

// ---------------------------------------------------------------------------------- determinism

describe('determinism', () => {
  const machines = demoFleetMachines(seeds).slice(0, 6);
  it('same seed → identical output; another seed → different output', () => {
    const a = runOffline(machines, START, START + H / 2, { seeds, seed: 5 });
    const b = runOffline(machines, START, START + H / 2, { seeds, seed: 5 });
    const c = runOffline(machines, START, START + H / 2, { seeds, seed: 6 });
    expect(JSON.stringify(b.messages)).toBe(JSON.stringify(a.messages));
    expect(JSON.stringify(c.messages)).not.toBe(JSON.stringify(a.messages));
  });

  it('does not depend on how time is chunked', () => {
    const a = runOffline(machines, START, START + H / 2, { seeds, seed: 5, chunkMs: 60_000 });
    const b = runOffline(machines, START, START + H / 2, { seeds, seed: 5, chunkMs: 7_000 });
    for (const m of machines) {
      const pick = (r: typeof a) => JSON.stringify(r.messages.filter((x) => machineOf(x) === m.machineId));
      expect(pick(b)).toBe(pick(a));
    }
  });
});

// ------------------------------------------------------------------------- physics vs DOMAIN.md

describe('1045 Ø200 mm on a 3 kW double-column saw (DOMAIN §1, §4, §5)', () => {
  let run: Run;
  let steady: Cut[];
  beforeAll(() => {
    run = simulate({ hours: 16, initialBladeUse: 0 });
    const dismount = run.events.find((e) => e.kind === 'blade' && e.body.event === 'dismount');
    const firstBlade = run.cuts.filter((c) => c.bladeId === run.cuts[0]!.bladeId && c.completed);
    steady = firstBlade.slice(3);
    expect(dismount).toBeDefined();
  });

  it('cuts at the chart rate with at least the DOMAIN cutting power and energy', () => {
    const early = steady.slice(0, 10);
    for (const c of early) {
      expect(c.areaCm2).toBeCloseTo((Math.PI * 200 * 200) / 4 / 100, 1);
      expect(c.cuttingRateCm2Min).toBeGreaterThan(55 * 0.9);
      expect(c.cuttingRateCm2Min).toBeLessThan(55 * 1.1);
      const minutes = (c.end - c.start) / MIN;
      expect(minutes).toBeGreaterThan(5.7 * 0.9);
      expect(minutes).toBeLessThan(5.7 * 1.15);
      expect(c.cuttingEnergyKWh / (minutes / 60)).toBeGreaterThanOrEqual(0.37);
      expect(c.energyKWh).toBeGreaterThanOrEqual(0.035);
      expect(c.meanBladeSpeed).toBeGreaterThan(57);
      expect(c.meanBladeSpeed).toBeLessThan(63);
    }
  });

  it('runs a new blade in at about half feed', () => {
    const first = run.cuts[0]!;
    const later = mean(steady.slice(0, 5).map((c) => c.meanDownFeed!));
    expect(first.meanDownFeed! / later).toBeGreaterThan(0.4);
    expect(first.meanDownFeed! / later).toBeLessThan(0.62);
    expect(first.cuttingRateCm2Min / steady[0]!.cuttingRateCm2Min).toBeLessThan(0.62);
  });

  it('needs more power, specific energy, feed force and deviation as the blade wears', () => {
    const early = steady.slice(0, 10);
    const late = steady.slice(-10);
    const eA = (c: Cut) => (c.cuttingEnergyKWh * 3.6e6) / c.areaCm2;
    const power = (c: Cut) => c.energyKWh / ((c.end - c.start) / H);
    expect(mean(late.map(eA))).toBeGreaterThan(1.2 * mean(early.map(eA)));
    expect(mean(late.map(power))).toBeGreaterThan(1.08 * mean(early.map(power)));
    expect(mean(late.map((c) => c.meanFeedForce!))).toBeGreaterThan(
      1.3 * mean(early.map((c) => c.meanFeedForce!)),
    );
    expect(mean(late.map((c) => c.maxDeviationMm))).toBeGreaterThan(mean(early.map((c) => c.maxDeviationMm)));
    // specific energy trends upwards over the blade's life
    const xs = steady.map((_, i) => i);
    const ys = steady.map(eA);
    const mx = mean(xs);
    const my = mean(ys);
    const slope = xs.reduce((s, x, i) => s + (x - mx) * (ys[i]! - my), 0);
    expect(slope).toBeGreaterThan(0);
  });

  it('changes the worn blade and starts the next one with break-in again', () => {
    const blades = run.events.flatMap((e) => (e.kind === 'blade' ? [e.body] : []));
    expect(blades[0]).toMatchObject({ event: 'dismount', reason: 'worn' });
    expect(blades[0]!.areaCutCm2).toBeGreaterThan(10_000);
    expect(blades[1]).toMatchObject({ event: 'mount', reason: 'new' });
    const next = run.cuts.filter((c) => c.bladeId === blades[1]!.blade.bladeId);
    expect(next[0]!.meanDownFeed! / next[5]!.meanDownFeed!).toBeLessThan(0.62);
  });
});

// ------------------------------------------------------------------------------------- faults

describe('injected faults (DOMAIN §2)', () => {
  const ONSET = START + H;
  const HOURS = 4;
  const healthy = simulate({ hours: HOURS });
  const runs = new Map<FaultKind, Run>();
  const runFor = (fault: FaultKind) => {
    let r = runs.get(fault);
    if (!r) {
      r = simulate({
        hours: HOURS,
        faults: [
          { machineId: 'SIM-1', fault, onsetTs: ONSET, rampMs: 30 * MIN, severity: 0.7, durationMs: 10 * H },
        ],
      });
      runs.set(fault, r);
    }
    return r;
  };
  /** Samples of the fault's active window (second half, when the onset ramp has built up). */
  const activeWindow = (r: Run, samples: readonly Sample[]) => {
    const label = r.labels[0]!;
    const end = label.endTs ?? START + HOURS * H;
    return within(samples, label.onsetTs + (end - label.onsetTs) / 2, end);
  };
  const compare = (fault: FaultKind, pick: (s: readonly Sample[]) => readonly Sample[], k: keyof Sample) => {
    const r = runFor(fault);
    return {
      faulty: mean(field(pick(activeWindow(r, r.samples)), k)),
      healthy: mean(field(pick(activeWindow(r, healthy.samples)), k)),
    };
  };
  const cutsIn = (r: Run, base: Run) => {
    const label = r.labels[0]!;
    const end = label.endTs ?? START + HOURS * H;
    const from = label.onsetTs + (end - label.onsetTs) / 2;
    const sel = (x: Run) => x.cuts.filter((c) => c.completed && c.start >= from && c.end <= end);
    return { faulty: sel(r), healthy: sel(base) };
  };
  const alarmCodes = (r: Run) =>
    r.events.flatMap((e) => (e.kind === 'alarm' && e.body.active ? [e.body.code] : []));

  it.each(FAULT_KINDS)('%s produces a ground-truth label (and none without it)', (fault) => {
    const r = runFor(fault);
    expect(r.labels).toHaveLength(1);
    const label = r.labels[0]!;
    expect(label).toMatchObject({ machineId: 'SIM-1', fault, severity: 0.7 });
    expect(label.onsetTs).toBeGreaterThanOrEqual(ONSET);
    expect(label.onsetTs).toBeLessThan(ONSET + 20 * MIN);
    expect(healthy.labels).toEqual([]);
    const published = JSON.stringify(r.events.filter((e) => e.kind !== 'sample'));
    expect(published).not.toContain(fault);
  });

  it('blade wear (accelerated): specific energy and feed force rise faster, blade changed early', () => {
    const r = runFor('blade-wear');
    const { faulty, healthy: base } = cutsIn(r, healthy);
    const eA = (c: Cut) => c.cuttingEnergyKWh / c.areaCm2;
    expect(mean(faulty.map(eA))).toBeGreaterThan(1.05 * mean(base.map(eA)));
    expect(mean(faulty.map((c) => c.meanFeedForce!))).toBeGreaterThan(
      1.05 * mean(base.map((c) => c.meanFeedForce!)),
    );
    const dismount = r.events.find((e) => e.kind === 'blade' && e.body.event === 'dismount');
    expect(dismount?.kind === 'blade' && dismount.body.reason).toBe('worn');
    expect(r.labels[0]!.endTs).toBe(dismount!.kind === 'blade' ? dismount!.body.ts : -1);
  });

  it('tooth chipping: a step in force and current with spikes after the event', () => {
    const r = runFor('tooth-chipping');
    expect(r.labels[0]!.eventTs).toBe(r.labels[0]!.onsetTs);
    const force = compare('tooth-chipping', cutting, 'feedForce');
    expect(force.faulty).toBeGreaterThan(1.15 * force.healthy);
    const current = compare('tooth-chipping', cutting, 'motorCurrent');
    expect(current.faulty).toBeGreaterThan(current.healthy);
    const spikes = (s: readonly Sample[]) => {
      const f = field(cutting(s), 'feedForce');
      const m = mean(f);
      return f.filter((x) => x > 1.3 * m).length / f.length;
    };
    expect(spikes(activeWindow(r, r.samples))).toBeGreaterThan(
      3 * spikes(activeWindow(r, healthy.samples)) + 0.01,
    );
  });

  it('blade breakage: force discontinuities before, then abrupt load loss, aborted cut, critical alarm', () => {
    const r = runFor('blade-breakage');
    const label = r.labels[0]!;
    expect(label.eventTs).toBeGreaterThanOrEqual(ONSET + 30 * MIN);
    const broken = r.samples.find((s) => s.ts === label.eventTs)!;
    const before = r.samples.find((s) => s.ts === label.eventTs! - 1000)!;
    expect(before.power!).toBeGreaterThan(0.5);
    expect(broken.power).toBe(0);
    expect(broken.bladeSpeed).toBe(0);
    expect(r.cuts.find((c) => !c.completed)?.end).toBe(label.eventTs);
    expect(alarmCodes(r)).toContain('BLADE_BROKEN');
    const dismount = r.events.find((e) => e.kind === 'blade' && e.body.event === 'dismount');
    expect(dismount?.kind === 'blade' && dismount.body.reason).toBe('broken');
    // crack: once-per-revolution force jumps grow before the break
    const pre = (x: Run) => cutting(within(x.samples, label.eventTs! - 15 * MIN, label.eventTs!));
    const cv = (s: readonly Sample[]) => sd(field(s, 'feedForce')) / mean(field(s, 'feedForce'));
    expect(cv(pre(r))).toBeGreaterThan(cv(pre(healthy)));
  });

  it('crooked cut: deviation grows until the blade is changed', () => {
    const r = runFor('crooked-cut');
    const devs = r.cuts.filter((c) => c.start >= r.labels[0]!.onsetTs && c.end <= r.labels[0]!.endTs!);
    const baseDev = healthy.cuts.filter((c) => c.start < ONSET).map((c) => c.maxDeviationMm);
    expect(Math.max(...devs.map((c) => c.maxDeviationMm))).toBeGreaterThan(2 * Math.max(...baseDev));
    expect(alarmCodes(r)).toContain('DEVIATION_HIGH');
  });

  it('tension loss: tension falls, the blade slips and drifts', () => {
    const tension = compare('tension-loss', (s) => s, 'bladeTension');
    expect(tension.faulty).toBeLessThan(0.9 * tension.healthy);
    const speed = compare('tension-loss', cutting, 'bladeSpeed');
    expect(speed.faulty).toBeLessThan(speed.healthy);
    const dev = compare('tension-loss', cutting, 'bladeDeviation');
    const absDev = (x: Run) =>
      mean(field(cutting(activeWindow(runFor('tension-loss'), x.samples)), 'bladeDeviation').map(Math.abs));
    expect(absDev(runFor('tension-loss'))).toBeGreaterThan(absDev(healthy));
    expect(Number.isFinite(dev.faulty)).toBe(true);
  });

  it('wheel / bearing wear: vibration and gearbox temperature rise', () => {
    const vib = compare('wheel-bearing-wear', running, 'vibration');
    expect(vib.faulty).toBeGreaterThan(1.5 * vib.healthy);
    const gear = compare('wheel-bearing-wear', (s) => s, 'gearboxTemp');
    expect(gear.faulty).toBeGreaterThan(gear.healthy + 3);
  });

  it('hydraulic leak: feed pressure falls and becomes inconsistent, feed uneven', () => {
    const r = runFor('hydraulic-leak');
    const p = compare('hydraulic-leak', cutting, 'hydraulicPressure');
    expect(p.faulty).toBeLessThan(0.85 * p.healthy);
    const cv = (x: Run, k: keyof Sample) => {
      const v = field(cutting(activeWindow(r, x.samples)), k);
      return sd(v) / mean(v);
    };
    expect(cv(r, 'hydraulicPressure')).toBeGreaterThan(cv(healthy, 'hydraulicPressure'));
    expect(alarmCodes(r)).toContain('HYD_PRESSURE_LOW');
  });

  it('coolant failure: flow drop or lean mix, and hotter teeth', () => {
    const flow = compare('coolant-failure', running, 'coolantFlow');
    const conc = compare('coolant-failure', (s) => s, 'coolantConcentration');
    expect(flow.faulty < 0.8 * flow.healthy || conc.faulty < 0.8 * conc.healthy).toBe(true);
    const temp = compare('coolant-failure', cutting, 'bladeTemp');
    expect(temp.faulty).toBeGreaterThan(temp.healthy + 10);
  });

  it('chip-brush failure: blade bounce (vibration bursts) and crooked cuts', () => {
    const r = runFor('chip-brush-failure');
    const vibMax = (x: Run) => Math.max(...field(running(activeWindow(r, x.samples)), 'vibration'));
    expect(vibMax(r)).toBeGreaterThan(1.3 * vibMax(healthy));
    const { faulty, healthy: base } = cutsIn(r, healthy);
    expect(mean(faulty.map((c) => c.maxDeviationMm))).toBeGreaterThan(
      mean(base.map((c) => c.maxDeviationMm)),
    );
  });

  it('motor overload: current reaches its limit, the blade sags, the drive trips', () => {
    const r = runFor('motor-overload');
    const label = r.labels[0]!;
    expect(label.eventTs).toBeDefined();
    expect(label.endTs).toBeGreaterThan(label.eventTs!);
    const rated = seeds.lookup.model.get('chenlong-gz4235')!.ratedCurrentA;
    const beforeTrip = within(r.samples, label.eventTs! - 3000, label.eventTs!);
    for (const s of beforeTrip) expect(s.motorCurrent!).toBeGreaterThanOrEqual(1.1 * rated);
    const nominal = healthy.cuts[5]!.meanBladeSpeed!;
    expect(Math.min(...field(beforeTrip, 'bladeSpeed'))).toBeLessThan(nominal);
    expect(alarmCodes(r)).toContain('MOTOR_OVERLOAD');
    expect(r.cuts.find((c) => !c.completed)?.end).toBe(label.eventTs);
    expect(r.samples.find((s) => s.ts === label.eventTs)!.bladeSpeed).toBe(0);
  });
});

// ---------------------------------------------------------------------------------- fault plans

describe('fault plans and labels', () => {
  const machines = demoFleetMachines(seeds).slice(0, 8);
  const ids = machines.map((m) => m.machineId);
  it('draws a reproducible random plan inside the window', () => {
    const plan = (seed: number) =>
      randomFaultPlan({
        machineIds: ids,
        fromMs: START,
        toMs: START + 48 * H,
        rng: new Rng(seed),
        perMachinePerDay: 1,
      });
    expect(plan(1)).toEqual(plan(1));
    expect(plan(1)).not.toEqual(plan(2));
    for (const f of plan(1)) {
      expect(ids).toContain(f.machineId);
      expect(f.onsetTs).toBeGreaterThanOrEqual(START);
      expect(f.onsetTs).toBeLessThan(START + 48 * H);
      expect(f.severity).toBeGreaterThanOrEqual(0.4);
    }
  });

  it('labels only the machines with faults, returned apart from the messages and written as JSONL', () => {
    const faults: FaultSpec[] = [
      { machineId: ids[0]!, fault: 'wheel-bearing-wear', onsetTs: START + 10 * MIN, rampMs: 20 * MIN },
      {
        machineId: ids[1]!,
        fault: 'coolant-failure',
        onsetTs: START + 5 * MIN,
        rampMs: 10 * MIN,
        durationMs: 20 * MIN,
      },
    ];
    const run = runOffline(machines, START, START + H, {
      seeds,
      seed: 3,
      faults,
      tuning: { schedule: 'always' },
    });
    expect(run.labels.map((l) => l.machineId).sort()).toEqual([ids[0], ids[1]].sort());
    expect(run.labels.find((l) => l.fault === 'coolant-failure')!.endTs).toBe(START + 25 * MIN);
    const dir = mkdtempSync(join(tmpdir(), 'sawbrain-labels-'));
    try {
      const file = join(dir, 'labels.jsonl');
      writeLabels(file, run.labels);
      const lines = readFileSync(file, 'utf8').trim().split('\n');
      expect(lines.map((l) => JSON.parse(l) as FaultLabel)).toEqual(run.labels);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ------------------------------------------------------------------------- MQTT device and fleet

describe('fleet over MQTT', () => {
  let broker: Aedes;
  let server: Server;
  let url: string;
  let watcher: MqttClient;
  const received: { topic: string; payload: Record<string, unknown>; retain: boolean }[] = [];
  const logins: { clientId: string; username?: string; password?: string }[] = [];
  const machines = demoFleetMachines(seeds, (id) => `pw-${id}`).slice(0, 3);
  const clients = new Map<string, Client>();

  beforeAll(async () => {
    broker = await Aedes.createBroker({
      authenticate: (client, username, password, done) => {
        logins.push({ clientId: client.id, username, password: password?.toString() });
        if (username === 'watcher') return done(null, true);
        const ok = username === client.id && password?.toString() === `pw-${client.id}`;
        if (ok) return done(null, true);
        const err = new Error('bad credentials') as AuthenticateError;
        err.returnCode = 4;
        return done(err, false);
      },
    });
    broker.on('client', (client) => clients.set(client.id, client));
    server = createServer(broker.handle);
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    url = `mqtt://127.0.0.1:${port}`;
    watcher = await connectAsync(url, { clientId: 'watcher', username: 'watcher', reconnectPeriod: 0 });
    watcher.on('message', (topic, payload, packet) => {
      received.push({
        topic,
        payload: JSON.parse(payload.toString()) as Record<string, unknown>,
        retain: packet.retain,
      });
    });
    await watcher.subscribeAsync('sawbrain/v1/#', { qos: 1 });
  });

  afterAll(async () => {
    await watcher.endAsync();
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('connects each device with its own credentials, publishes valid messages, a will and a clean goodbye', async () => {
    const fleet = new Fleet({
      seeds,
      machines,
      brokerUrl: url,
      logger: silentLogger(),
      seed: 9,
      speed: 300,
      tickMs: 50,
      samplesPerMessage: 5,
      startMs: START,
      tuning: { schedule: 'always' },
    });
    await fleet.start();
    try {
      for (const m of machines) {
        expect(logins).toContainEqual({
          clientId: m.machineId,
          username: m.machineId,
          password: `pw-${m.machineId}`,
        });
      }
      await waitFor(() => received.filter((r) => r.topic.endsWith('/telemetry')).length >= 30, 10_000);
      // drop one device's connection: the broker publishes its retained last will
      const victim = machines[0]!.machineId;
      const conn = clients.get(victim)?.conn;
      expect(conn).toBeDefined();
      conn!.destroy();
      await waitFor(() =>
        received.some((r) => r.topic.endsWith(`${victim}/state`) && r.payload.lastWill === true),
      );
      // it reconnects and announces itself again (same boot, seq continues)
      await waitFor(() => received.filter((r) => r.topic.endsWith(`${victim}/birth`)).length >= 2, 10_000);
    } finally {
      await fleet.stop();
    }
    expect(fleet.running).toBe(false);
    const counters = fleet.counters();
    expect(counters.messagesPublished).toBeGreaterThan(30);
    expect(counters.samplesPublished).toBeGreaterThan(100);
    await waitFor(() =>
      machines.every((m) => {
        const states = received.filter((r) => r.topic.endsWith(`${m.machineId}/state`));
        const last = states[states.length - 1];
        return last?.payload.state === 'offline' && last.payload.lastWill === undefined;
      }),
    );

    for (const r of received) {
      const address = parseTopic(r.topic)!;
      const result = validateMessage(address.kind, r.payload);
      expect(result.ok, `${r.topic}: ${result.ok ? '' : result.message}`).toBe(true);
    }
    for (const m of machines) {
      const mine = received.filter(
        (r) => parseTopic(r.topic)!.machine === m.machineId && r.payload.lastWill !== true,
      );
      const births = mine.filter((r) => r.topic.endsWith('/birth'));
      expect(births[0]!.payload.seq).toBe(0);
      expect(new Set(mine.map((r) => r.payload.bootId)).size).toBe(1);
      // QoS 1 may redeliver after the reconnect; every seq of the boot arrives, none skipped
      const seqs = [...new Set(mine.map((r) => r.payload.seq as number))].sort((a, b) => a - b);
      expect(seqs).toEqual(seqs.map((_, i) => i));
      // virtual clock: timestamps run ahead of real time by the speed factor
      const last = Math.max(...mine.map((r) => r.payload.ts as number));
      expect(last).toBeGreaterThan(START + 30_000);
    }
  });
});
