/**
 * Flood control (ISA-18.2: more than ~10 alarms per 10 minutes per operator is a flood): at most
 * `perMachine` new annunciations per machine and `perPlant` per plant within `windowMs`. Critical
 * warnings always pass (they still count).
 */
export interface FloodConfig {
  windowMs: number;
  perMachine: number;
  perPlant: number;
}

export class FloodLimiter {
  private readonly byMachine = new Map<string, number[]>();
  private readonly byPlant = new Map<string, number[]>();
  limited = 0;

  constructor(private readonly c: FloodConfig) {}

  private recent(map: Map<string, number[]>, key: string, now: number): number[] {
    const list = (map.get(key) ?? []).filter((t) => now - t < this.c.windowMs);
    map.set(key, list);
    return list;
  }

  /** May one more warning be annunciated now? Records it when yes. */
  allow(machine: string, plant: string | null, now: number, critical: boolean): boolean {
    const m = this.recent(this.byMachine, machine, now);
    const p = plant ? this.recent(this.byPlant, plant, now) : [];
    const ok = critical || (m.length < this.c.perMachine && (!plant || p.length < this.c.perPlant));
    if (!ok) {
      this.limited++;
      return false;
    }
    m.push(now);
    if (plant) p.push(now);
    return true;
  }
}
