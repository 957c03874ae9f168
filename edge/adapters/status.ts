import { z } from 'zod';
import { MachineState } from '../../services/contracts/index.js';
import { type ActiveAlarm, AlarmSeverity, type ControllerStatus } from './types.js';

/**
 * Controller status from raw numbers, shared by the register (Modbus) and node (OPC UA) maps:
 * flags are non-zero = true, an alarm code of 0 means no alarm, a mode code maps to a state.
 */
export const STATUS_KEYS = [
  'guardOpen',
  'alarmCode',
  'alarmSeverity',
  'mode',
  'feedHold',
  'feedOverride',
  'bladeSpeedSetpoint',
] as const;
export type StatusKey = (typeof STATUS_KEYS)[number];

/** controller mode code → machine state, e.g. { "1": "running" } */
export const ModeCodes = z.record(z.string().regex(/^\d+$/), MachineState).default({});
/** severity per alarm code when there is no severity source (default critical: fail safe) */
export const AlarmSeverities = z.record(z.string(), AlarmSeverity).default({});

const SEVERITY_CODES: Record<number, AlarmSeverity> = { 1: 'info', 2: 'warning', 3: 'critical' };

export function decodeStatus(
  raw: Partial<Record<StatusKey, number>>,
  modeCodes: Readonly<Record<string, MachineState>>,
  severities: Readonly<Record<string, AlarmSeverity>>,
): ControllerStatus {
  const out: ControllerStatus = {};
  if (raw.guardOpen !== undefined) out.guardOpen = raw.guardOpen !== 0;
  if (raw.feedHold !== undefined) out.feedHold = raw.feedHold !== 0;
  if (raw.feedOverride !== undefined) out.feedOverride = raw.feedOverride;
  if (raw.bladeSpeedSetpoint !== undefined) out.bladeSpeedSetpoint = raw.bladeSpeedSetpoint;
  if (raw.mode !== undefined) {
    const mode = modeCodes[String(Math.round(raw.mode))];
    if (mode) out.mode = mode;
  }
  if (raw.alarmCode !== undefined) {
    const code = Math.round(raw.alarmCode);
    if (code === 0) out.alarms = [];
    else {
      const alarm: ActiveAlarm = {
        code: String(code),
        severity:
          SEVERITY_CODES[Math.round(raw.alarmSeverity ?? 0)] ?? severities[String(code)] ?? 'critical',
      };
      out.alarms = [alarm];
    }
  }
  return out;
}
