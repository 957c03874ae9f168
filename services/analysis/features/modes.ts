import type { Sample } from '../../contracts/index.js';
import type { SawModel } from '../../seeds/index.js';

/**
 * What a sample says the saw is doing. From the sample alone (not from the controller's state):
 *  - `cutting`: blade running and pushed into the work (feed force above a small fraction of the
 *    model's feed-force limit, or above 50 N when the model is unknown)
 *  - `running`: blade running, not cutting (approach, idle run)
 *  - `stopped`: blade not running
 */
export type Mode = 'stopped' | 'running' | 'cutting';

/** Blade speed below this (m/min) counts as stopped. */
export const STOPPED_SPEED = 1;

export function forceOnN(model: SawModel | undefined): number {
  return model ? Math.max(30, 0.02 * model.maxFeedForceN) : 50;
}

export function modeOf(s: Sample, forceOn: number): Mode {
  const speed = s.bladeSpeed;
  if (speed !== undefined && speed < STOPPED_SPEED) return 'stopped';
  if (speed === undefined && (s.power ?? 0) <= 0) return 'stopped';
  return (s.feedForce ?? 0) > forceOn ? 'cutting' : 'running';
}
