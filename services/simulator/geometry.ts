import type { Section } from '../contracts/messages.js';

/**
 * Section geometry (DOMAIN §1): cut area, the chord the blade sees at a given head height and
 * the area left below it. Heights are measured from the bed (0) up to the top of the section.
 *
 *  - round Ø D: area π·D²/4 (DOMAIN's effective width for feed is 0.75·D)
 *  - tube Ø D, wall t: annulus π·(D² − (D−2t)²)/4; effective width = area / blade travel (D)
 *  - square / rectangle w × h: w·h
 *  - rect-tube w × h, wall t: w·h − (w−2t)(h−2t)
 *  - profile (H/I section standing on a flange) w × h, wall t: 2·w·t + (h−2t)·t
 *  - bundle w × h of `pieces` bars: DOMAIN's 0.6 × width as the effective width, area 0.6·w·h
 */
export const BUNDLE_FILL = 0.6;

function need(value: number | undefined, what: string, shape: string): number {
  if (value === undefined || !(value > 0)) throw new RangeError(`${shape} section needs ${what}`);
  return value;
}

function dims(s: Section) {
  switch (s.shape) {
    case 'round':
      return {
        w: need(s.diameterMm, 'diameterMm', s.shape),
        h: need(s.diameterMm, 'diameterMm', s.shape),
        t: 0,
      };
    case 'tube': {
      const d = need(s.diameterMm, 'diameterMm', s.shape);
      return { w: d, h: d, t: Math.min(need(s.wallMm, 'wallMm', s.shape), d / 2) };
    }
    case 'square': {
      const a = need(s.widthMm ?? s.heightMm, 'widthMm', s.shape);
      return { w: a, h: s.heightMm ?? a, t: 0 };
    }
    case 'rectangle':
    case 'bundle':
      return { w: need(s.widthMm, 'widthMm', s.shape), h: need(s.heightMm, 'heightMm', s.shape), t: 0 };
    case 'rect-tube':
    case 'profile': {
      const w = need(s.widthMm, 'widthMm', s.shape);
      const h = need(s.heightMm, 'heightMm', s.shape);
      return { w, h, t: Math.min(need(s.wallMm, 'wallMm', s.shape), w / 2, h / 2) };
    }
  }
}

/** Segment area of a circle of radius r below height y (0 ≤ y ≤ 2r), mm². */
function segmentBelow(r: number, y: number): number {
  if (y <= 0) return 0;
  if (y >= 2 * r) return Math.PI * r * r;
  const d = r - y;
  return r * r * Math.acos(d / r) - d * Math.sqrt(Math.max(0, 2 * r * y - y * y));
}

/** Section height along the feed direction (what the head travels through), mm. */
export function sectionHeightMm(s: Section): number {
  return dims(s).h;
}

/** Workpiece size for cutting charts: the width of material along the blade, mm. */
export function sectionSizeMm(s: Section): number {
  return dims(s).w;
}

/** Area (mm²) of the section below height y (mm). */
export function areaBelowMm2(s: Section, y: number): number {
  const { w, h, t } = dims(s);
  const yy = Math.min(Math.max(y, 0), h);
  switch (s.shape) {
    case 'round':
      return segmentBelow(w / 2, yy);
    case 'tube': {
      const r = w / 2;
      const ri = r - t;
      return segmentBelow(r, yy) - (ri > 0 ? segmentBelow(ri, yy - t) : 0);
    }
    case 'square':
    case 'rectangle':
      return w * yy;
    case 'bundle':
      return BUNDLE_FILL * w * yy;
    case 'rect-tube':
    case 'profile': {
      const inner = s.shape === 'rect-tube' ? 2 * t : t;
      const lower = Math.min(yy, t);
      const mid = Math.min(Math.max(yy - t, 0), h - 2 * t);
      const upper = Math.max(yy - (h - t), 0);
      return w * lower + inner * mid + w * upper;
    }
  }
}

/** Cut area of the whole section, mm². */
export function sectionAreaMm2(s: Section): number {
  return areaBelowMm2(s, sectionHeightMm(s));
}

/** Cut area of the whole section, cm². */
export function sectionAreaCm2(s: Section): number {
  return sectionAreaMm2(s) / 100;
}

/** DOMAIN §1 effective width for turning a cutting rate into a down-feed, mm. */
export function effectiveWidthMm(s: Section): number {
  const { w, h } = dims(s);
  if (s.shape === 'round') return 0.75 * w;
  if (s.shape === 'bundle') return BUNDLE_FILL * w;
  return sectionAreaMm2(s) / h;
}

/**
 * Head height after removing `areaMm2` below `fromY`, never descending more than `maxDropMm`.
 * Bisection on the monotone areaBelow; returns the new height (≥ 0).
 */
export function descend(s: Section, fromY: number, areaMm2: number, maxDropMm: number): number {
  const floor = Math.max(0, fromY - maxDropMm);
  const target = areaBelowMm2(s, fromY) - areaMm2;
  if (target <= areaBelowMm2(s, floor)) return floor;
  let lo = floor;
  let hi = fromY;
  for (let i = 0; i < 40 && hi - lo > 1e-6; i++) {
    const mid = (lo + hi) / 2;
    if (areaBelowMm2(s, mid) > target) hi = mid;
    else lo = mid;
  }
  return (lo + hi) / 2;
}
