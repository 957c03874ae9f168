import type { Sample } from '../contracts/messages.js';
import type { SawModel } from '../seeds/index.js';
import type { AlarmMonitor } from './alarms.js';
import type { Mode } from './physics.js';
import type { Traits } from './signals.js';
import type { SimEvent } from './types.js';

/** Threshold alarms a controller raises from its own samples (debounced, with hysteresis). */
export function monitorSample(
  alarms: AlarmMonitor,
  s: Sample,
  model: SawModel,
  traits: Traits,
  mode: Mode,
  out: SimEvent[],
): void {
  const ts = s.ts;
  const running = mode === 'approach' || mode === 'cutting';
  const vib = s.vibration ?? 0;
  alarms.check('VIBRATION_HIGH', ts, running && vib > 2.8, running && vib < 2.0, out, 5, 30);
  const hyd = s.hydraulicPressure ?? 0;
  const [hLo] = model.hydraulicRange;
  // standby pressure (clamping and feeding raise it on purpose)
  const atRest = mode === 'stopped' || mode === 'approach' || mode === 'retract';
  alarms.check('HYD_PRESSURE_LOW', ts, atRest && hyd < hLo * 0.8, atRest && hyd >= hLo * 0.9, out, 10, 10);
  const flow = s.coolantFlow ?? 0;
  alarms.check(
    'COOLANT_FLOW_LOW',
    ts,
    running && flow < 0.5 * traits.coolantFlow,
    running && flow >= 0.7 * traits.coolantFlow,
    out,
    5,
    5,
  );
  const conc = s.coolantConcentration ?? 0;
  alarms.check('COOLANT_CONC_LOW', ts, conc < 6, conc >= 7, out, 60, 60);
  const tension = s.bladeTension ?? 0;
  const hasBlade = mode !== 'blade-out';
  alarms.check(
    'TENSION_LOW',
    ts,
    hasBlade && tension < model.tensionRange[0],
    hasBlade && tension >= model.tensionRange[0],
    out,
    10,
    10,
  );
  const motorT = s.motorTemp ?? 0;
  alarms.check('MOTOR_TEMP_HIGH', ts, motorT > 110, motorT < 100, out, 10, 10);
}
