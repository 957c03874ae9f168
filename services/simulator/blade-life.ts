import type { BladeSpec } from '../contracts/messages.js';
import type { Blade, ChartCorrections, Material, SawModel } from '../seeds/index.js';
import type { Rng } from './rng.js';

/** A blade loop on the wheels and what it has been through. */
export interface MountedBlade {
  spec: BladeSpec;
  cat: Blade;
  /** consumed life fraction (1 = worn out); wear index W = wearIndex(used) */
  used: number;
  areaCm2: number;
  cuts: number;
  /** this loop's life in the reference material (catalogue × gamma scatter), cm² */
  lifeCm2: number;
  breakInCm2: number;
  /** consumed life at which the operator changes it */
  replaceAt: number;
}

/** A loop from the catalogue, `used` already consumed (0 = new). */
export function mountBlade(
  cat: Blade,
  model: SawModel,
  corrections: ChartCorrections,
  rng: Rng,
  bladeId: string,
  used = 0,
): MountedBlade {
  const lifeCm2 = cat.nominalLifeCm2 * rng.gamma(16, 1 / 16);
  const bi = corrections.breakIn;
  const breakInCm2 = Math.min(
    bi.areaCm2[1],
    Math.max(bi.areaCm2[0], bi.typicalAreaCm2 * rng.uniform(0.8, 1.2)),
  );
  return {
    spec: {
      bladeId,
      type: cat.type,
      catalogueId: cat.id,
      widthMm: cat.widthMm,
      thicknessMm: cat.thicknessMm,
      lengthMm: model.bladeDims.lengthMm,
      tpi: cat.tpi,
      supplier: cat.supplier,
    },
    cat,
    used,
    areaCm2: used * lifeCm2,
    cuts: Math.round((used * lifeCm2) / 150),
    lifeCm2,
    breakInCm2,
    replaceAt: Math.min(1.05, Math.max(0.85, rng.normal(0.97, 0.04))),
  };
}

/**
 * Feed factor during break-in (DOMAIN §4): about half feed (mild steel) or 75 % (difficult
 * materials) for the first ~400 cm², then back to full feed over the next half of that area.
 */
export function breakInFactor(
  corrections: ChartCorrections,
  material: Material,
  blade: MountedBlade,
): number {
  const bi = corrections.breakIn;
  const f = material.breakIn === 'mild' ? bi.feedFactorMild : bi.feedFactorDifficult;
  const a = blade.areaCm2;
  const b = blade.breakInCm2;
  if (a < b) return f;
  if (a < 1.5 * b) return f + ((1 - f) * (a - b)) / (0.5 * b);
  return 1;
}

/** Consumes life for `areaCm2` cut in `material`, scaled by the faults' wear-rate multiplier. */
export function consumeLife(
  blade: MountedBlade,
  material: Material,
  areaCm2: number,
  wearRateMul: number,
): void {
  blade.areaCm2 += areaCm2;
  blade.used += (areaCm2 / (blade.lifeCm2 * material.lifeFactor)) * wearRateMul;
}
