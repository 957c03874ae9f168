import type { Section } from '../contracts/messages.js';
import type { Blade, ChartCorrections, Industry, Material, SawModel, Seeds } from '../seeds/index.js';
import { sectionSizeMm } from './geometry.js';
import type { Rng } from './rng.js';

/**
 * Cutting parameters from the seeds' charts (DOMAIN §3) and the job mix of an industry.
 * Pure functions of the seeds and an Rng.
 */

const mid = ([lo, hi]: readonly [number, number]) => (lo + hi) / 2;

/** Piecewise-linear interpolation of correction points in log(size), clamped at the ends. */
export function correctionAt(points: readonly { sizeMm: number; factor: number }[], sizeMm: number): number {
  const first = points[0]!;
  const last = points[points.length - 1]!;
  if (sizeMm <= first.sizeMm) return first.factor;
  if (sizeMm >= last.sizeMm) return last.factor;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    if (sizeMm <= b.sizeMm) {
      const f = Math.log(sizeMm / a.sizeMm) / Math.log(b.sizeMm / a.sizeMm);
      return a.factor + f * (b.factor - a.factor);
    }
  }
  return last.factor;
}

/** Mean teeth per inch of a pitch like "3/4" (→ 3.5) or "6". */
export function tpiMean(tpi: string): number {
  const parts = tpi.split('/').map(Number);
  return parts.reduce((s, x) => s + x, 0) / parts.length;
}

/** The pitches the charts recommend for a workpiece size. */
export function optimumTpi(corrections: ChartCorrections, sizeMm: number): readonly string[] {
  for (const row of corrections.tpiBySize) {
    if (row.upToMm === null || sizeMm <= row.upToMm) return row.tpi;
  }
  return corrections.tpiBySize[corrections.tpiBySize.length - 1]!.tpi;
}

/** Carbide-tipped blades run faster than the bimetal charts (estimate, no DOMAIN figure). */
const CARBIDE_SPEED_FACTOR = 1.4;

export interface ChartPoint {
  /** blade speed set point, m/min (clamped to the model's range) */
  speedMMin: number;
  /** cutting rate for a run-in blade, cm²/min (before break-in, pitch and fault factors) */
  rateCm2Min: number;
  /** × on feed when the blade's pitch is finer than the chart's optimum (DOMAIN: × 0.70) */
  pitchFactor: number;
}

/** Chart speed and rate for a material and section on a model with a blade (DOMAIN §3 corrections). */
export function chartPoint(
  corrections: ChartCorrections,
  material: Material,
  section: Section,
  model: SawModel,
  blade: Blade,
): ChartPoint {
  const size = sectionSizeMm(section);
  const speedCorr =
    correctionAt(corrections.sectionSpeed.points, size) /
    correctionAt(corrections.sectionSpeed.points, material.refSizeMm);
  const rateCorr =
    correctionAt(corrections.sectionRate.points, size) /
    correctionAt(corrections.sectionRate.points, material.refSizeMm);
  let speed = mid(material.speedMMin) * speedCorr;
  if ((material.hardness.hrc ?? 0) >= 35) speed *= corrections.hardness35Hrc;
  if (blade.type === 'carbide-tipped') speed *= CARBIDE_SPEED_FACTOR;
  if (blade.type === 'carbon') speed *= corrections.carbonBlade;
  const [vMin, vMax] = model.bladeSpeedRange;
  const optimum = optimumTpi(corrections, size).map(tpiMean);
  const finer = tpiMean(blade.tpi) > Math.max(...optimum) * 1.25;
  return {
    speedMMin: Math.min(vMax, Math.max(vMin, speed)),
    rateCm2Min: mid(material.rateCm2Min) * rateCorr,
    pitchFactor: finer ? corrections.finePitchFeed : 1,
  };
}

/** Blades of the catalogue that fit a model (same band width and thickness). */
export function compatibleBlades(seeds: Seeds, model: SawModel): Blade[] {
  return seeds.blades.filter(
    (b) => b.widthMm === model.bladeDims.widthMm && b.thicknessMm === model.bladeDims.thicknessMm,
  );
}

const DIFFICULT = new Set(['nickel-alloy', 'titanium', 'tool-steel', 'stainless']);

/** The blade a plant would put on: pitch for its typical size, tougher grades for hard materials. */
export function chooseBlade(seeds: Seeds, model: SawModel, industry: Industry, rng: Rng): Blade {
  const fits = compatibleBlades(seeds, model);
  if (fits.length === 0) throw new RangeError(`no blade fits model ${model.id}`);
  const difficultShare =
    industry.materials
      .filter((m) => DIFFICULT.has(seeds.lookup.material.get(m.grade)?.family ?? ''))
      .reduce((s, m) => s + m.weight, 0) / industry.materials.reduce((s, m) => s + m.weight, 0);
  const wantType =
    rng.chance(difficultShare * 0.5) && fits.some((b) => b.type !== 'bimetal-m42')
      ? rng.pick(fits.filter((b) => b.type !== 'bimetal-m42')).type
      : 'bimetal-m42';
  const ofType = fits.filter((b) => b.type === wantType);
  const pool = ofType.length > 0 ? ofType : fits;
  const sizes = industry.sections.map((s) => mid(s.sizeMm));
  const typical = Math.min(sizes.reduce((s, x) => s + x, 0) / sizes.length, model.maxRoundMm * 0.8);
  const optimum = optimumTpi(seeds.corrections, typical).map(tpiMean);
  const target = optimum.reduce((s, x) => s + x, 0) / optimum.length;
  const ranked = [...pool].sort(
    (a, b) => Math.abs(Math.log(tpiMean(a.tpi) / target)) - Math.abs(Math.log(tpiMean(b.tpi) / target)),
  );
  return rng.chance(0.8) ? ranked[0]! : rng.pick(pool);
}

export interface Job {
  material: Material;
  section: Section;
  /** cuts in this job (Infinity for a fixed test job) */
  pieces: number;
  /** operator's trim on chart speed and rate for this job */
  speedTrim: number;
  rateTrim: number;
}

function stock(mm: number): number {
  const step = mm < 50 ? 2 : mm < 200 ? 5 : 10;
  return Math.max(step, Math.round(mm / step) * step);
}

/** A job drawn from the industry's material and section mix, fitted to the model's capacity. */
export function drawJob(seeds: Seeds, industry: Industry, model: SawModel, rng: Rng): Job {
  const grade = rng.weighted(industry.materials, (m) => m.weight).grade;
  const material = seeds.lookup.material.get(grade);
  if (!material) throw new RangeError(`unknown grade ${grade}`);
  const mix = rng.weighted(industry.sections, (s) => s.weight);
  const [maxW, maxH] = model.maxRectMm;
  const size = stock(rng.uniform(mix.sizeMm[0], mix.sizeMm[1]));
  const wall = (d: number) =>
    Math.max(1, Math.min(stock(rng.uniform(...(mix.wallMm ?? [5, 10]))), Math.floor(d / 2 - 1)));
  let section: Section;
  switch (mix.shape) {
    case 'round':
      section = { shape: 'round', diameterMm: Math.min(size, stock(model.maxRoundMm * 0.95)) };
      break;
    case 'tube': {
      const d = Math.min(size, stock(model.maxRoundMm * 0.95));
      section = { shape: 'tube', diameterMm: d, wallMm: wall(d) };
      break;
    }
    case 'square': {
      const a = Math.min(size, stock(Math.min(maxW, maxH) * 0.95));
      section = { shape: 'square', widthMm: a, heightMm: a };
      break;
    }
    case 'bundle': {
      const w = Math.min(size, stock(maxW * 0.95));
      const h = Math.min(stock(w * rng.uniform(0.4, 0.8)), stock(maxH * 0.95));
      const [pLo, pHi] = mix.pieces ?? [4, 12];
      section = { shape: 'bundle', widthMm: w, heightMm: h, pieces: rng.int(pLo, pHi) };
      break;
    }
    default: {
      // rectangle, rect-tube, profile
      const w = Math.min(size, stock(maxW * 0.95));
      const h = Math.min(stock(size * rng.uniform(0.4, 1)), stock(maxH * 0.95));
      section =
        mix.shape === 'rectangle'
          ? { shape: 'rectangle', widthMm: w, heightMm: h }
          : { shape: mix.shape, widthMm: w, heightMm: h, wallMm: wall(Math.min(w, h)) };
    }
  }
  return {
    material,
    section,
    pieces: rng.int(industry.batchPieces[0], industry.batchPieces[1]),
    speedTrim: rng.normal(1, 0.04),
    rateTrim: rng.normal(1, 0.06),
  };
}
