import { describe, expect, it } from 'vitest';
import { CutConfig } from '../../edge/config.js';
import { CutDetector } from '../../edge/cuts/detector.js';
import type { Cut, Sample } from '../../services/contracts/index.js';
import { Cut as CutSchema } from '../../services/contracts/index.js';
import { loadSeeds } from '../../services/seeds/index.js';
import { SawSimulator } from '../../services/simulator/index.js';
import type { Body } from '../../services/simulator/types.js';

const seeds = loadSeeds('seeds');
const T0 = Date.UTC(2026, 2, 3, 1, 0, 0);
const SECTION = { shape: 'round', diameterMm: 120 } as const;

/** One simulated saw for an hour: its samples and its own cut records (the ground truth). */
function simulate(intervalMs: number, hours = 1) {
  const sim = new SawSimulator({
    machineId: 'CUT-1',
    seeds,
    model: 'chenlong-gz4235',
    industry: 'general-machining',
    region: 'cn-zhejiang',
    seed: 11,
    startMs: T0,
    sampleIntervalMs: intervalMs,
    schedule: 'always',
    job: { grade: '1045', section: SECTION },
    initialBladeUse: 0.2,
  });
  const samples: Sample[] = [];
  const truth: Body<Cut>[] = [];
  for (const e of sim.advance(T0 + hours * 3_600_000)) {
    if (e.kind === 'sample') samples.push(e.sample);
    else if (e.kind === 'cut') truth.push(e.body);
  }
  // the simulator's records use the model's nominal idle power; the machine's own idle differs
  return { samples, truth, nominalIdleKw: sim.model.idlePowerKw, actualIdleKw: sim.traits.idleKw };
}

function detect(samples: readonly Sample[], intervalMs: number, cfg: Partial<CutConfig> = {}) {
  const d = new CutDetector(
    CutConfig.parse({ material: { grade: '1045' }, section: SECTION, ...cfg }),
    intervalMs,
  );
  const cuts: Body<Cut>[] = [];
  for (const s of samples) {
    const c = d.push(s);
    if (c) cuts.push(c);
  }
  return { cuts, detector: d };
}

describe('cut detection at the edge', () => {
  it('learns the idle power of the machine from its running, not-cutting samples', () => {
    const { samples, actualIdleKw } = simulate(1000, 0.5);
    const { detector } = detect(samples, 1000);
    expect(detector.idlePowerKw! / actualIdleKw).toBeGreaterThan(0.98);
    expect(detector.idlePowerKw! / actualIdleKw).toBeLessThan(1.02);
  });

  it('finds the same cuts as the simulated controller, with their energy and area', () => {
    const { samples, truth, nominalIdleKw } = simulate(1000);
    // same P_idle as the simulator's records, so the cutting energies compare
    const { cuts, detector } = detect(samples, 1000, { idlePowerKw: nominalIdleKw });
    expect(truth.length).toBeGreaterThan(10);
    expect(cuts.length).toBe(truth.length);
    cuts.forEach((c, i) => {
      const t = truth[i]!;
      // the simulator's record starts with the approach; the edge sees the load rise
      expect(c.start).toBeGreaterThanOrEqual(t.start);
      expect(c.start - t.start).toBeLessThan(15_000);
      expect(Math.abs(c.end - t.end)).toBeLessThanOrEqual(2000);
      expect(c.completed).toBe(true);
      expect(c.areaCm2).toBeCloseTo(t.areaCm2, 1);
      expect(c.cuttingEnergyKWh).toBeGreaterThan(t.cuttingEnergyKWh * 0.97);
      expect(c.cuttingEnergyKWh).toBeLessThanOrEqual(t.cuttingEnergyKWh * 1.001);
      expect(c.energyKWh).toBeLessThanOrEqual(t.energyKWh);
      expect(c.energyKWh).toBeGreaterThan(t.energyKWh * 0.9);
      const envelope = { v: 1, bootId: 'b', seq: i };
      expect(CutSchema.safeParse({ ...envelope, ...c }).success).toBe(true);
    });
    expect(detector.idlePowerKw).toBeGreaterThan(0);
  });

  it('works on accelerated sampling too (20 ms)', () => {
    const { samples, truth } = simulate(20, 0.25);
    const { cuts } = detect(samples, 20);
    expect(cuts.length).toBe(truth.length);
    for (const [i, c] of cuts.entries()) expect(Math.abs(c.end - truth[i]!.end)).toBeLessThanOrEqual(100);
  });

  it('computes the area from head travel × width when no section is configured', () => {
    const { samples } = simulate(1000, 0.2);
    const { cuts } = detect(samples, 1000, { section: undefined, workpieceWidthMm: 90 });
    expect(cuts.length).toBeGreaterThan(0);
    for (const c of cuts) {
      expect(c.section.shape).toBe('rectangle');
      expect(c.section.widthMm).toBe(90);
      // the head travels through most of the Ø120 section while loaded
      expect(c.section.heightMm!).toBeGreaterThan(100);
      expect(c.areaCm2).toBeCloseTo((90 * c.section.heightMm!) / 100, 0);
    }
  });

  it('reports an aborted cut as not completed, with the area cut so far', () => {
    const { samples } = simulate(1000, 0.2);
    const d = new CutDetector(CutConfig.parse({ section: SECTION }), 1000);
    let aborted: Body<Cut> | null = null;
    for (const s of samples) {
      d.push(s);
      if (d.inCut && s.headPosition !== undefined && s.headPosition < 60) {
        aborted = d.abort(s.ts + 1000);
        break;
      }
    }
    expect(aborted).not.toBeNull();
    expect(aborted!.completed).toBe(false);
    expect(aborted!.areaCm2).toBeGreaterThan(40);
    expect(aborted!.areaCm2).toBeLessThan(113.1 * 0.75);
  });

  it('uses absolute thresholds and estimates power from current when told to', () => {
    const mk = (ts: number, i: number, feed: number, head: number): Sample => ({
      ts,
      bladeSpeed: 60,
      motorCurrent: i,
      downFeed: feed,
      headPosition: head,
    });
    const samples = [
      mk(0, 5, 0, 100),
      mk(1000, 20, 50, 99),
      mk(2000, 20, 50, 98),
      mk(3000, 20, 50, 97),
      mk(4000, 5, 0, 0),
      mk(5000, 5, 0, 0),
    ].map((s) => ({ ...s, ts: s.ts + T0 }));
    const { cuts } = detect(samples, 1000, {
      currentOnA: 15,
      section: undefined,
      idlePowerKw: 2,
      powerFromCurrent: { voltageV: 400, powerFactor: 0.8 },
      minDurationMs: 0,
    });
    expect(cuts).toHaveLength(1);
    const c = cuts[0]!;
    expect(c.start).toBe(T0 + 1000);
    expect(c.end).toBe(T0 + 4000);
    expect(c.completed).toBe(true);
    const p = (Math.sqrt(3) * 400 * 20 * 0.8) / 1000; // 11.09 kW for 3 s
    expect(c.energyKWh).toBeCloseTo((p * 3) / 3600, 5);
    expect(c.cuttingEnergyKWh).toBeCloseTo(((p - 2) * 3) / 3600, 5);
    expect(c.peakCurrentA).toBe(20);
  });
});
