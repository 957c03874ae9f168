import type { SimEvent } from './types.js';

/** Controller alarms the simulated saws raise (codes are SawBrain's own; real ones are vendor-specific). */
export const ALARMS = {
  BLADE_BROKEN: { severity: 'critical', text: 'Blade broken: blade stopped, cut aborted' },
  MOTOR_OVERLOAD: { severity: 'critical', text: 'Main drive overload: current at limit, drive tripped' },
  VIBRATION_HIGH: { severity: 'warning', text: 'Vibration above 2.8 mm/s RMS (ISO 10816 class I)' },
  HYD_PRESSURE_LOW: { severity: 'warning', text: 'Feed hydraulic pressure low' },
  COOLANT_FLOW_LOW: { severity: 'warning', text: 'Coolant flow low on the main pipe' },
  COOLANT_CONC_LOW: { severity: 'info', text: 'Coolant concentration lean' },
  TENSION_LOW: { severity: 'warning', text: 'Blade tension below the model minimum' },
  DEVIATION_HIGH: { severity: 'warning', text: 'Blade deviation above the limit during the last cut' },
  MOTOR_TEMP_HIGH: { severity: 'warning', text: 'Main motor temperature high' },
} as const;
export type AlarmCode = keyof typeof ALARMS;

/** Debounced raise/clear of alarm conditions, emitting alarm events on transitions only. */
export class AlarmMonitor {
  private readonly active = new Set<AlarmCode>();
  private readonly streak = new Map<AlarmCode, number>();

  isActive(code: AlarmCode): boolean {
    return this.active.has(code);
  }

  raise(code: AlarmCode, ts: number, out: SimEvent[], text?: string): void {
    this.streak.set(code, 0);
    if (this.active.has(code)) return;
    this.active.add(code);
    const def = ALARMS[code];
    out.push({
      kind: 'alarm',
      body: { ts, code, severity: def.severity, active: true, text: text ?? def.text },
    });
  }

  clear(code: AlarmCode, ts: number, out: SimEvent[]): void {
    this.streak.set(code, 0);
    if (!this.active.delete(code)) return;
    out.push({ kind: 'alarm', body: { ts, code, severity: ALARMS[code].severity, active: false } });
  }

  /**
   * Raises after `raiseN` consecutive samples with `bad`, clears after `clearN` consecutive
   * samples with `good`; samples that are neither leave the streak alone.
   */
  check(
    code: AlarmCode,
    ts: number,
    bad: boolean,
    good: boolean,
    out: SimEvent[],
    raiseN = 5,
    clearN = 10,
  ): void {
    const on = this.active.has(code);
    const relevant = on ? good : bad;
    if (!relevant) {
      if (on ? bad : good) this.streak.set(code, 0);
      return;
    }
    const n = (this.streak.get(code) ?? 0) + 1;
    this.streak.set(code, n);
    if (!on && n >= raiseN) this.raise(code, ts, out);
    else if (on && n >= clearN) this.clear(code, ts, out);
  }
}
