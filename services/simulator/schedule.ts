import type { ShiftPattern } from '../seeds/index.js';

/**
 * Shift calendars in plant-local time (minutes of the day). Working windows per pattern; the
 * gaps are breaks or, when long, off-shift. 1x8 and 2x8 plants rest on Sundays.
 */
export type Schedule = ShiftPattern | 'always';

const H = 60;
const WINDOWS: Record<ShiftPattern, [number, number][]> = {
  '1x8': [
    [8 * H, 12 * H],
    [13 * H, 17 * H],
  ],
  '2x8': [
    [8 * H, 12 * H],
    [12 * H + 45, 16 * H],
    [16 * H + 15, 19 * H],
    [19 * H + 40, 24 * H],
  ],
  '3x8': [
    [0, 3 * H + 30],
    [4 * H, 8 * H],
    [8 * H + 15, 12 * H],
    [12 * H + 40, 16 * H],
    [16 * H + 15, 18 * H],
    [18 * H + 30, 24 * H],
  ],
};

export interface ShiftStatus {
  working: boolean;
  /** 'break' for a short gap, 'off-shift' otherwise */
  reason?: 'break' | 'off-shift';
}

const DAY_MS = 86_400_000;

export function shiftStatus(schedule: Schedule, ts: number, utcOffsetMinutes: number): ShiftStatus {
  if (schedule === 'always') return { working: true };
  const local = ts + utcOffsetMinutes * 60_000;
  const dayOfWeek = (Math.floor(local / DAY_MS) + 4) % 7; // 1970-01-01 was a Thursday; 0 = Sunday
  if (dayOfWeek === 0 && schedule !== '3x8') return { working: false, reason: 'off-shift' };
  const minute = Math.floor((((local % DAY_MS) + DAY_MS) % DAY_MS) / 60_000);
  const windows = WINDOWS[schedule];
  if (windows.some(([a, b]) => minute >= a && minute < b)) return { working: true };
  const next = windows.find(([a]) => a > minute);
  const prev = [...windows].reverse().find(([, b]) => b <= minute);
  const short = next !== undefined && prev !== undefined && next[0] - prev[1] <= 60;
  return { working: false, reason: short ? 'break' : 'off-shift' };
}
