import type { Command } from '../../services/contracts/index.js';
import type { WriteTarget } from '../adapters/types.js';
import type { InterlockConfig } from '../config.js';
import type { LiveState } from '../controller.js';

export type Decision =
  | { ok: true; write: { target: WriteTarget; value: number } | null }
  | { ok: false; reason: string };

export interface InterlockContext {
  machineId: string;
  now: number;
  cfg: InterlockConfig;
  /** live state older than this is not trusted */
  staleMs: number;
  writable: readonly WriteTarget[];
}

const reject = (reason: string): Decision => ({ ok: false, reason });

/** The controller write a command asks for (null: nothing to write). */
export function commandWrite(cmd: Command): { target: WriteTarget; value: number | undefined } | null {
  switch (cmd.type) {
    case 'stop-after-cut':
      return { target: 'stopAfterCut', value: 1 };
    case 'pause-feed':
      return { target: 'feedHold', value: 1 };
    case 'resume-feed':
      return { target: 'feedHold', value: 0 };
    case 'feed-override':
      return { target: 'feedOverride', value: cmd.params.percent };
    case 'blade-speed-setpoint':
      return { target: 'bladeSpeedSetpoint', value: cmd.params.bladeSpeed };
    case 'reset-alarm':
      return { target: 'alarmReset', value: 1 };
    case 'request-snapshot':
      return null;
  }
}

/**
 * Local safety checks before a command reaches the controller, against its live state. Pure:
 * the same command and state always give the same answer. Stopping and pausing are always
 * safe; starting motion (resume, alarm reset) needs a closed guard and no critical alarm; the
 * blade speed does not change mid-cut; values stay in the configured windows.
 */
export function checkCommand(cmd: Command, live: LiveState | undefined, c: InterlockContext): Decision {
  if (cmd.machineId !== undefined && cmd.machineId !== c.machineId)
    return reject(`addressed to ${cmd.machineId}, not ${c.machineId}`);
  if (cmd.expiresAt <= c.now) return reject(`expired at ${new Date(cmd.expiresAt).toISOString()}`);
  if (!live?.reachable) return reject('controller unreachable: state unknown');
  if (c.now - live.readAt > c.staleMs) return reject(`controller state is ${c.now - live.readAt} ms old`);
  const want = commandWrite(cmd);
  if (!want) return { ok: true, write: null };
  const { cfg } = c;
  const critical = live.status.alarms?.find((a) => a.severity === 'critical');
  switch (cmd.type) {
    case 'feed-override': {
      const p = cmd.params.percent;
      if (p === undefined) return reject('feed-override needs params.percent');
      if (p < cfg.feedOverrideMin || p > cfg.feedOverrideMax)
        return reject(`feed override ${p} % outside ${cfg.feedOverrideMin}–${cfg.feedOverrideMax} %`);
      break;
    }
    case 'blade-speed-setpoint': {
      const v = cmd.params.bladeSpeed;
      if (v === undefined) return reject('blade-speed-setpoint needs params.bladeSpeed');
      if (live.inCut) return reject('blade speed change refused mid-cut');
      if (v < cfg.bladeSpeedMin || v > cfg.bladeSpeedMax)
        return reject(`blade speed ${v} m/min outside ${cfg.bladeSpeedMin}–${cfg.bladeSpeedMax} m/min`);
      break;
    }
    case 'resume-feed':
    case 'reset-alarm':
      if (live.status.guardOpen) return reject('guard open');
      if (cmd.type === 'resume-feed' && critical) return reject(`critical alarm ${critical.code} active`);
      break;
    default:
      break;
  }
  if (!c.writable.includes(want.target)) return reject(`controller map has no ${want.target} target`);
  return { ok: true, write: { target: want.target, value: want.value! } };
}
