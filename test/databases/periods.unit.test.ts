import { describe, expect, it } from 'vitest';
import { categorise } from '../../services/databases/operations/rollup.js';
import { isoDate, shiftOf, weekStart } from '../../services/databases/time.js';

const H = 3_600_000;
const T = Date.UTC(2026, 0, 5); // Monday 00:00 UTC

describe('periods', () => {
  it('shifts are plant-local 8-hour blocks', () => {
    // 01:00 UTC is 09:00 in UTC+8: the day shift, which began at 00:00 UTC
    expect(shiftOf(T + H, 480)).toEqual({ name: 'day', start: T, end: T + 8 * H });
    expect(shiftOf(T + 9 * H, 480).name).toBe('evening');
    expect(shiftOf(T + 17 * H, 480).name).toBe('night');
    expect(shiftOf(T + 17 * H, 0).name).toBe('evening');
    expect(shiftOf(T - 1, 60)).toEqual({ name: 'night', start: T - H, end: T + 7 * H });
  });

  it('weeks start on Monday 00:00 UTC', () => {
    expect(weekStart(T)).toBe(T);
    expect(weekStart(T + 6 * 24 * H + 5)).toBe(T);
    expect(isoDate(weekStart(T - 1))).toBe('2025-12-29');
  });
});

describe('utilisation categories', () => {
  const span = (start: number, end: number, state: string, reason?: string) => ({
    start,
    end,
    state,
    reason,
  });
  const cut = (start: number, end: number) => ({
    start,
    end,
    completed: true,
    areaCm2: 1,
    energyKWh: 0,
    cuttingEnergyKWh: 0,
    telemetryEnergyKWh: 0,
    idealS: 0,
  });

  it('partitions the period: cutting inside running, off-shift apart from idle', () => {
    const spans = [
      span(T - H, T + 600_000, 'idle', 'off-shift'),
      span(T + 600_000, T + 1_200_000, 'setup'),
      span(T + 1_200_000, T + 2_400_000, 'running'),
      span(T + 2_400_000, T + 3_000_000, 'idle', 'waiting-material'),
      span(T + 3_000_000, T + 2 * H, 'offline'),
    ];
    const t = categorise(
      spans,
      [cut(T + 1_300_000, T + 2_000_000), cut(T + 2_300_000, T + 2_500_000)],
      T,
      T + H,
    );
    expect(t).toEqual({
      cuttingS: 700 + 100,
      runningS: 1200 - 800,
      idleS: 600,
      offShiftS: 600,
      setupS: 600,
      bladeChangeS: 0,
      alarmS: 0,
      offlineS: 600,
    });
    expect(Object.values(t).reduce((a, b) => a + b, 0)).toBe(3600);
  });
});
