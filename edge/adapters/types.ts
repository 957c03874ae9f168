import { z } from 'zod';
import type { MachineState, Sample } from '../../services/contracts/index.js';
import type { TelemetryVariable } from '../../services/contracts/variables.js';

/**
 * The one interface every controller adapter implements (CONTRIBUTING: connect, read a snapshot,
 * write a command, close). An adapter speaks one protocol to one controller and hands the
 * gateway values already in the standard's units; it knows nothing of MQTT, cuts or the outbox.
 */

/** What a command may set on a controller (see commands/relay.ts for the command → target map). */
export const WRITE_TARGETS = [
  'feedOverride',
  'bladeSpeedSetpoint',
  'feedHold',
  'stopAfterCut',
  'alarmReset',
] as const;
export const WriteTarget = z.enum(WRITE_TARGETS);
export type WriteTarget = z.infer<typeof WriteTarget>;

export const AlarmSeverity = z.enum(['info', 'warning', 'critical']);
export type AlarmSeverity = z.infer<typeof AlarmSeverity>;

export interface ActiveAlarm {
  code: string;
  severity: AlarmSeverity;
  text?: string;
}

/** Controller status beside the telemetry variables; a field left undefined is not reported. */
export interface ControllerStatus {
  guardOpen?: boolean;
  /** alarms active now (empty = none); undefined when the map has no alarm source */
  alarms?: ActiveAlarm[];
  /** the state the controller itself reports (wins over the gateway's derivation) */
  mode?: MachineState;
  feedHold?: boolean;
  feedOverride?: number;
  bladeSpeedSetpoint?: number;
}

/** One read: zero or more samples (oldest first, standard units, unvalidated) and the status. */
export interface ControllerReading {
  samples: Sample[];
  status: ControllerStatus;
}

export interface ControllerAdapter {
  readonly protocol: string;
  /** variables this controller's map provides (birth capabilities) */
  readonly capabilities: readonly TelemetryVariable[];
  /** targets this controller's map can write */
  readonly writable: readonly WriteTarget[];
  /** opens the connection; rejects when the controller cannot be reached */
  connect(): Promise<void>;
  /** reads what is due now; rejects on a protocol or connection error */
  read(now: number): Promise<ControllerReading>;
  /** writes one target (engineering units; booleans as 0/1) */
  write(target: WriteTarget, value: number): Promise<void>;
  /** reads a target back (engineering units) to confirm a write; without verification, the value written */
  readBack(target: WriteTarget): Promise<number>;
  /** smallest step the target can take (a scaled integer's scale; 0 for floats) */
  resolution(target: WriteTarget): number;
  /** closes the connection (undoes connect; safe to call twice) */
  close(): Promise<void>;
}

/** Does a read-back confirm a write? Within half a step of the target's resolution (and 1e-6 relative). */
export function readBackMatches(expected: number, actual: number, resolution: number): boolean {
  const tol = Math.max(Math.abs(resolution) / 2, Math.abs(expected) * 1e-6) + 1e-9;
  return Math.abs(expected - actual) <= tol;
}
