/** Periods of the databases: UTC hours and days, plant-local shifts, ISO weeks (UTC). */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;
const SHIFT_MS = 8 * HOUR_MS;

/** The three reporting shifts of a plant-local day. */
export const SHIFTS = ['night', 'day', 'evening'] as const;
export type ShiftName = (typeof SHIFTS)[number];

export const floorTo = (ts: number, step: number): number => Math.floor(ts / step) * step;

/** Plant-local shift containing `ts`: its name and its start/end as UTC epoch ms. */
export function shiftOf(
  ts: number,
  utcOffsetMinutes: number,
): { name: ShiftName; start: number; end: number } {
  const offset = utcOffsetMinutes * MINUTE_MS;
  const start = floorTo(ts + offset, SHIFT_MS) - offset;
  const index = Math.floor(((((ts + offset) % DAY_MS) + DAY_MS) % DAY_MS) / SHIFT_MS);
  return { name: SHIFTS[index]!, start, end: start + SHIFT_MS };
}

/** Monday 00:00 UTC of the week containing `ts` (1970-01-01 was a Thursday). */
export function weekStart(ts: number): number {
  return floorTo(ts - 4 * DAY_MS, WEEK_MS) + 4 * DAY_MS;
}

/** ISO date (YYYY-MM-DD) of a UTC epoch ms. */
export const isoDate = (ts: number): string => new Date(ts).toISOString().slice(0, 10);

/** Length of the overlap of [a0, a1) and [b0, b1), ms. */
export const overlap = (a0: number, a1: number, b0: number, b1: number): number =>
  Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));

/** Period starts in [from, to) of a fixed step. */
export function periodStarts(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let t = floorTo(from, step); t < to; t += step) out.push(t);
  return out;
}

/** Size bins of the market's material mix, mm. */
export function sizeBin(sizeMm: number): string {
  if (sizeMm <= 25) return 'le25';
  if (sizeMm <= 75) return '25-75';
  if (sizeMm <= 150) return '75-150';
  return 'gt150';
}
