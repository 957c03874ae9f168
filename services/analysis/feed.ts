import type { Birth, BladeEvent, State, Telemetry } from '../contracts/index.js';
import type { SawModel } from '../seeds/index.js';
import { estimateLife } from './blade-life/remaining.js';
import { cutFeatures } from './features/cut-features.js';
import { modeOf } from './features/modes.js';
import type { MachineCtx } from './machine.js';
import type { CutEvent, SampleEvent } from './rules/index.js';

/** Cut records wait this long (engine clock) for the telemetry of their window. */
export const CUT_WAIT_MS = 30_000;

/**
 * How each message kind updates a machine's features before (or while) the rules see it. The
 * engine calls these; they only touch the machine context.
 */

/** Birth certificate: model (→ seeds), capabilities, sample interval, the blade on the wheels. */
export function applyBirth(m: MachineCtx, b: Birth, model: SawModel | undefined): boolean {
  const changed = m.modelId !== b.model;
  m.setModel(b.model, model);
  m.capabilities = new Set(b.capabilities);
  m.sampleIntervalMs = b.sampleIntervalMs;
  m.blades.seen(b.blade, b.ts);
  return changed;
}

export function applyState(m: MachineCtx, s: State, receivedAt: number): void {
  if (s.state !== m.state) m.stateSinceAt = receivedAt;
  m.pushState(s.ts, s.state);
}

export function applyBlade(m: MachineCtx, b: BladeEvent): void {
  if (b.event === 'mount') m.blades.mounted(b.blade, b.reason === undefined || b.reason === 'new', b.ts);
  else m.blades.dismounted(b.blade.bladeId, b.reason);
}

/** Classifies and keeps each sample, handing it to `onSample` with its context. */
export function feedSamples(
  m: MachineCtx,
  t: Telemetry,
  receivedAt: number,
  onSample: (ts: number, e: SampleEvent) => void,
): void {
  m.lastTelemetryAt = receivedAt;
  for (const s of t.samples) {
    const mode = modeOf(s, m.forceOn);
    m.ring.push(s, mode);
    onSample(s.ts, { s, mode, state: m.stateAt(s.ts), prev: m.prev?.s, prevMode: m.prev?.mode });
    m.prev = { s, mode };
    m.lastTelemetryTs = s.ts;
  }
}

/**
 * Cut records whose telemetry has arrived (or waited long enough): joined with their samples,
 * added to the blade's wear picture, with the blade's life estimate after them.
 */
export function readyCuts(m: MachineCtx, now: number, lifeFactor: (grade: string) => number): CutEvent[] {
  const out: CutEvent[] = [];
  while (m.pendingCuts.length > 0) {
    const c = m.pendingCuts[0]!;
    if (m.ring.latestTs < c.end - m.sampleIntervalMs && now - m.pendingAt[0]! <= CUT_WAIT_MS) break;
    m.pendingCuts.shift();
    m.pendingAt.shift();
    const f = cutFeatures(c, m, m.idleRecent.prior(m.idle));
    if (Number.isFinite(f.approachIdleKw)) {
      m.idle.add(f.approachIdleKw);
      m.idleRecent.add(f.approachIdleKw);
    }
    const wear = m.blades.onCut({
      ts: c.end,
      bladeId: c.bladeId,
      grade: c.material.grade,
      key: f.key,
      stepKey: f.stepKey,
      areaCm2: c.areaCm2,
      eA: f.eAWear,
      relSe: f.eAIdleSeKw > 0 ? (f.eAIdleSeKw * f.eAIdleSens) / f.eAWear : 0,
      completed: c.completed,
      seconds: (c.end - c.start) / 1000,
    });
    const blade = m.blades.current;
    out.push({
      f,
      wear,
      life: blade ? estimateLife(m.blades, blade, lifeFactor(c.material.grade)) : undefined,
    });
  }
  return out;
}
