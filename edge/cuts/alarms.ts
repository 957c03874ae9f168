import type { ActiveAlarm } from '../adapters/types.js';

export interface AlarmChange extends ActiveAlarm {
  active: boolean;
}

/** Turns the set of alarms active at each read into raised / cleared events. */
export class AlarmTracker {
  private active = new Map<string, ActiveAlarm>();

  update(now: readonly ActiveAlarm[] | undefined): AlarmChange[] {
    if (now === undefined) return [];
    const next = new Map(now.map((a) => [a.code, a]));
    const out: AlarmChange[] = [];
    for (const [code, a] of this.active) if (!next.has(code)) out.push({ ...a, active: false });
    for (const [code, a] of next) if (!this.active.has(code)) out.push({ ...a, active: true });
    this.active = next;
    return out;
  }

  get current(): ActiveAlarm[] {
    return [...this.active.values()];
  }
}
