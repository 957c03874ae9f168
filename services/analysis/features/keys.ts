import type { Cut, Section } from '../../contracts/index.js';

/**
 * Baseline keys of the per-cut features: machine × material × section class. The material is
 * the cut record's grade within its machinability class; the section class is the shape family
 * and a size band (the width of material along the blade).
 */
export const SIZE_BANDS_MM = [60, 200] as const;

export function sectionSizeMm(s: Section): number {
  return s.diameterMm ?? s.widthMm ?? s.heightMm ?? 0;
}

export function sectionClass(s: Section): string {
  const family =
    s.shape === 'tube' || s.shape === 'rect-tube' || s.shape === 'profile'
      ? 'hollow'
      : s.shape === 'bundle'
        ? 'bundle'
        : 'solid';
  const size = sectionSizeMm(s);
  const band = size < SIZE_BANDS_MM[0] ? 's' : size < SIZE_BANDS_MM[1] ? 'm' : 'l';
  return `${family}-${band}`;
}

export function materialClass(c: Cut): string {
  return c.material.class ? `${c.material.class}/${c.material.grade}` : c.material.grade;
}

export function cutKey(c: Cut): string {
  return `${materialClass(c)}|${sectionClass(c.section)}`;
}

/** The exact section (shape and dimensions) of a cut: steps in e_A are judged within one section. */
export function sectionId(s: Section): string {
  return `${s.shape}:${s.diameterMm ?? ''}x${s.widthMm ?? ''}x${s.heightMm ?? ''}x${s.wallMm ?? ''}x${s.pieces ?? ''}`;
}

export function stepKey(c: Cut): string {
  return `${materialClass(c)}|${sectionId(c.section)}`;
}
