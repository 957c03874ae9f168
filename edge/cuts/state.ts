import type { MachineState } from '../../services/contracts/index.js';
import type { ControllerStatus } from '../adapters/types.js';

export interface DerivedState {
  state: MachineState;
  reason: string;
}

/**
 * The machine state from what the gateway knows: an unreachable controller is offline; an
 * active critical alarm wins; then the mode the controller reports itself (blade change, setup
 * …); else cutting or a running blade is running, an open guard is setup, anything else idle.
 */
export function deriveState(o: {
  reachable: boolean;
  status: ControllerStatus;
  inCut: boolean;
  running: boolean;
}): DerivedState {
  if (!o.reachable) return { state: 'offline', reason: 'controller unreachable' };
  const critical = o.status.alarms?.find((a) => a.severity === 'critical');
  if (critical) return { state: 'alarm', reason: `alarm ${critical.code}` };
  if (o.status.mode) return { state: o.status.mode, reason: 'controller mode' };
  if (o.inCut) return { state: 'running', reason: 'cutting' };
  if (o.running) return { state: 'running', reason: 'blade running' };
  if (o.status.guardOpen) return { state: 'setup', reason: 'guard open' };
  return { state: 'idle', reason: 'stopped' };
}

/** Remembers the last published state; `next` returns the state when it changed. */
export class StateTracker {
  private last: MachineState | undefined;

  next(d: DerivedState): DerivedState | null {
    if (d.state === this.last) return null;
    this.last = d.state;
    return d;
  }

  get current(): MachineState | undefined {
    return this.last;
  }
}
