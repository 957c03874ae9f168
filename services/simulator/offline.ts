import type { Seeds } from '../seeds/index.js';
import type { FaultLabel, FaultSpec } from './faults.js';
import { bootIdFor, createSimulator, type FleetMachine, type SimulatorTuning } from './machines.js';
import { Outbox, type OutMessage } from './outbox.js';
import type { SawSimulator } from './saw-model.js';

export interface OfflineOptions {
  seeds: Seeds;
  seed?: number;
  sampleIntervalMs?: number;
  samplesPerMessage?: number;
  faults?: readonly FaultSpec[];
  tuning?: SimulatorTuning;
  /** machines advance round-robin in chunks of this much virtual time (default 60 s) */
  chunkMs?: number;
}

export interface OfflineRun {
  /** everything the devices would publish, in publish order (interleaved per chunk) */
  messages: OutMessage[];
  /** ground truth, kept apart from the messages */
  labels: FaultLabel[];
  simulators: SawSimulator[];
}

/**
 * The fleet without MQTT: deterministic for a seed. Each machine boots at `fromMs` (birth),
 * then publishes what it produces up to `toMs`; partial telemetry batches are flushed at the end.
 */
export function runOffline(
  machines: readonly FleetMachine[],
  fromMs: number,
  toMs: number,
  o: OfflineOptions,
): OfflineRun {
  const seed = o.seed ?? 42;
  const sampleIntervalMs = o.sampleIntervalMs ?? 1000;
  const chunk = o.chunkMs ?? 60_000;
  const units = machines.map((m) => {
    const sim = createSimulator(o.seeds, m, {
      seed,
      startMs: fromMs,
      sampleIntervalMs,
      faults: o.faults,
      tuning: o.tuning,
    });
    const outbox = new Outbox(
      m.tenant,
      m.machineId,
      bootIdFor(seed, m.machineId, fromMs),
      o.samplesPerMessage ?? 5,
    );
    return { sim, outbox };
  });
  const messages: OutMessage[] = [];
  for (const u of units) messages.push(u.outbox.birth(u.sim.birth(fromMs)));
  for (let t = fromMs; t < toMs; t += chunk) {
    const until = Math.min(toMs, t + chunk) - 1;
    for (const u of units) messages.push(...u.outbox.push(u.sim.advance(until)));
  }
  for (const u of units) messages.push(...u.outbox.flush());
  return { messages, labels: units.flatMap((u) => u.sim.labels()), simulators: units.map((u) => u.sim) };
}
