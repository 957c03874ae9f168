import type { Point } from '../../core/ports.js';
import type { WearPart } from '../../seeds/index.js';
import { DAY_MS, HOUR_MS } from '../time.js';

export interface MachineHours {
  tenant: string;
  machine: string;
  /** hours inside cuts, all time */
  cuttingH: number;
  /** hours not offline, all time */
  poweredH: number;
  /** the same over the last 7 days, per day */
  cuttingHPerDay: number;
  poweredHPerDay: number;
  /** warnings raised per type, all time */
  warnings: ReadonlyMap<string, number>;
}

/**
 * Wear-part consumption per machine: the share of service life its clock has used (a part
 * with 400 h life after 200 cutting hours: 0.5 consumed) plus one part per warning whose type
 * means that part was replaced; next due date at the recent hours per day.
 */
export function wearPartPoints(
  parts: readonly WearPart[],
  machines: readonly MachineHours[],
  now: number,
): Point[] {
  const out: Point[] = [];
  for (const m of machines) {
    for (const p of parts) {
      const hours = p.clock === 'cutting' ? m.cuttingH : m.poweredH;
      const perDay = p.clock === 'cutting' ? m.cuttingHPerDay : m.poweredHPerDay;
      const fromHours = hours / p.serviceLifeH;
      const fromWarnings = p.warningTypes.reduce((s, t) => s + (m.warnings.get(t) ?? 0), 0);
      const leftH = p.serviceLifeH - (hours % p.serviceLifeH);
      out.push({
        db: 'supplychain',
        measurement: 'wear_part',
        tags: { tenant: m.tenant, machine: m.machine, part: p.id },
        fields: {
          runningHours: hours,
          consumed: fromHours + fromWarnings,
          fromHours,
          fromWarnings,
          ...(perDay > 0 ? { nextDueAt: Math.round(now + (leftH / perDay) * DAY_MS) } : {}),
        },
        ts: now,
      });
    }
  }
  return out;
}

export const hoursOf = (seconds: number): number => (seconds * 1000) / HOUR_MS;
