import { describe, expect, it } from 'vitest';
import { cutFeatures } from '../../services/analysis/features/cut-features.js';
import { feedSamples } from '../../services/analysis/feed.js';
import type { Cut } from '../../services/contracts/index.js';
import { cuttingSample, machine, T0 } from './fixtures.js';

const IDLE = 0.8;
const CUT_KW = 0.8;
const AREA = 100;

/** A cut: `approach` s of the blade in the air, 120 s in the work, one exit sample with a little load. */
function cut(o: { idleKw?: number; spikes?: number[]; start?: number } = {}) {
  const m = machine();
  const start = o.start ?? T0;
  const samples = [];
  const idle = o.idleKw ?? IDLE;
  let energyKWs = 0;
  for (let s = 0; s < 125; s++) {
    const ts = start + s * 1000;
    let power: number;
    let feedForce: number;
    if (s < 4) {
      power = idle;
      feedForce = 0;
    } else if (s < 124) {
      power = idle + CUT_KW * (1 + 0.01 * Math.sin(s)) + (o.spikes?.includes(s) ? 0.5 : 0);
      feedForce = 1800;
    } else {
      power = idle + 0.2; // the blade leaving the work: below the cutting threshold, still loaded
      feedForce = 10;
    }
    energyKWs += power;
    samples.push(cuttingSample(ts, { power, feedForce }));
  }
  feedSamples(m, { v: 1, ts: start, samples } as never, start, () => {});
  const c = {
    start,
    end: start + 125_000,
    areaCm2: AREA,
    energyKWh: energyKWs / 3600,
    cuttingEnergyKWh: (energyKWs - 125 * idle) / 3600,
    completed: true,
    material: { grade: '1045', class: 'sb-1048-1065' },
    section: { shape: 'round', diameterMm: 110 },
    cuttingRateCm2Min: 50,
    peakCurrentA: 5,
    meanCurrentA: 4,
    maxDeviationMm: 0.1,
  } as unknown as Cut;
  return { m, c };
}

describe('specific cutting energy e_A (DOMAIN §4, §5)', () => {
  it('takes P_idle from the approach only, not from the blade leaving the work', () => {
    const { m, c } = cut();
    const f = cutFeatures(c, m, undefined);
    expect(f.approachIdleKw).toBeCloseTo(IDLE, 6);
    // the cutting energy: 120 s at CUT_KW plus the exit sample's 0.2 kW
    expect(f.eA).toBeCloseTo(((120 * CUT_KW + 0.2) * 1000) / AREA, -1);
  });

  it('believes an approach far off the learned idle power: the idle power itself jumped', () => {
    const cutting = ((120 * CUT_KW + 0.2) * 1000) / AREA;
    const learned = (m: ReturnType<typeof machine>) => {
      for (let i = 0; i < 20; i++) m.idle.add(IDLE * (1 + 0.001 * Math.sin(i)));
    };
    // a wheel bearing's friction adds 0.2 kW to the idle power: shrunk towards the learned 0.8 kW,
    // it would read as cutting energy (+18 % here)
    const jumped = cut({ idleKw: IDLE + 0.2 });
    learned(jumped.m);
    expect(cutFeatures(jumped.c, jumped.m, IDLE).eA).toBeCloseTo(cutting, -1);
    const near = cut({ idleKw: IDLE * 1.002 });
    learned(near.m);
    expect(cutFeatures(near.c, near.m, IDLE).eA).toBeCloseTo(cutting, -1);
  });

  it('says how uncertain its P_idle makes e_A: unknown until the idle power is learned, then its spread', () => {
    const fresh = cut();
    const before = cutFeatures(fresh.c, fresh.m, undefined);
    expect(before.eAIdleSeKw).toBe(Number.POSITIVE_INFINITY); // no step can rest on it yet
    expect(before.eAIdleSens).toBeCloseTo((1000 * 125) / AREA, 6);
    const { m, c } = cut();
    for (let i = 0; i < 20; i++) m.idle.add(IDLE + 0.02 * Math.sin(i)); // approaches stray by ~±20 W
    const f = cutFeatures(c, m, IDLE);
    // 4 approach samples shrunk towards the learned level with weight 10: 4/14 of its spread
    expect(f.eAIdleSeKw).toBeCloseTo((4 / 14) * m.idle.scale, 6);
    expect(m.idle.scale).toBeGreaterThan(0.005);
  });

  it('leaves the energy of single-sample spikes out of e_A for the wear trend', () => {
    const { m, c } = cut({ spikes: [20, 40, 60, 80] });
    const f = cutFeatures(c, m, undefined);
    expect(f.powerSpikes).toBe(4);
    expect(f.eA - f.eAWear).toBeCloseTo((4 * 0.5 * 1000) / AREA, -1);
    const clean = cut();
    const g = cutFeatures(clean.c, clean.m, undefined);
    expect(g.eAWear).toBe(g.eA);
  });
});
