import { describe, expect, it } from 'vitest';
import { rateOfChange } from '../../services/analysis/rules/rate-of-change.js';
import type { RuleCtx, SampleEvent } from '../../services/analysis/rules/types.js';
import type { Sample } from '../../services/contracts/index.js';
import { machine, seeds, T0 } from './fixtures.js';

/** The shipped motor-temperature-climb rule (3 °C/min over 3 minutes, for 1 minute). */
const shipped = rateOfChange.params.parse(
  seeds.rules.find((r) => r.id === 'motor-temperature-climb')!.params,
);

/** Feeds `motorTemp(t)` (t in s) at `hz` for `seconds`; returns when the symptom was raised / cleared. */
function run(motorTemp: (t: number) => number, seconds: number, hz: number) {
  const m = machine();
  const st = rateOfChange.init(m, shipped);
  let active = false;
  const changes: { t: number; active: boolean }[] = [];
  for (let i = 0; i <= seconds * hz; i++) {
    const t = i / hz;
    const ts = T0 + Math.round(t * 1000);
    const ctx: RuleCtx = {
      m,
      ts,
      get active() {
        return active;
      },
      set(a: boolean) {
        if (a !== active) changes.push({ t, active: a });
        active = a;
      },
    };
    const s = { ts, motorTemp: motorTemp(t) } as Sample;
    const e: SampleEvent = { s, mode: 'cutting', state: undefined, prev: undefined, prevMode: undefined };
    rateOfChange.onSample!(st, ctx, e, shipped);
  }
  return { changes, st };
}

describe('rate of change', () => {
  it('raises on a sustained climb faster than the limit and clears once it has eased, at 1 Hz and at 10 Hz', () => {
    // 40 °C; from t = 600 s it climbs 4 °C/min for 10 minutes, then holds
    const temp = (t: number) => 40 + (4 / 60) * Math.min(600, Math.max(0, t - 600));
    for (const hz of [1, 10]) {
      const { changes, st } = run(temp, 2400, hz);
      expect(changes.map((c) => c.active)).toEqual([true, false]);
      // the 3-minute span sees 3 °C/min after 135 s of climbing, then 60 s 'for'
      expect(changes[0]!.t).toBeGreaterThan(600 + 135);
      expect(changes[0]!.t).toBeLessThan(600 + 135 + 60 + 5);
      expect(changes[1]!.t).toBeGreaterThan(1200);
      // the span's samples are kept, and no more than about two spans of them
      expect(st.ts.length - st.head).toBeGreaterThanOrEqual(180 * hz);
      expect(st.ts.length).toBeLessThanOrEqual(2 * 180 * hz + 256);
    }
  });

  it('does not raise on a climb slower than the limit', () => {
    const { changes } = run((t) => 40 + (2.5 / 60) * t, 1800, 10);
    expect(changes).toEqual([]);
  });
});
