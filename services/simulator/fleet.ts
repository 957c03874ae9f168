import { writeFileSync } from 'node:fs';
import type { Logger } from '../core/logger.js';
import { type Clock, systemClock } from '../core/ports.js';
import type { Seeds } from '../seeds/index.js';
import { SawDevice } from './device.js';
import type { FaultLabel, FaultSpec } from './faults.js';
import { bootIdFor, createSimulator, type FleetMachine, type SimulatorTuning } from './machines.js';
import { type OfflineRun, runOffline } from './offline.js';
import type { OutMessage } from './outbox.js';
import type { SawSimulator } from './saw-model.js';

export interface FleetOptions {
  seeds: Seeds;
  machines: readonly FleetMachine[];
  brokerUrl: string;
  logger: Logger;
  seed?: number;
  /** time acceleration: virtual = start + real elapsed × speed */
  speed?: number;
  sampleIntervalMs?: number;
  samplesPerMessage?: number;
  faults?: readonly FaultSpec[];
  tuning?: SimulatorTuning;
  /** virtual start time (default: now) */
  startMs?: number;
  /** real milliseconds between pumps (default 200) */
  tickMs?: number;
  clock?: Clock;
  connectTimeoutMs?: number;
  /** ground-truth labels are written here (JSON lines) on stop */
  labelsFile?: string;
}

export interface FleetCounters {
  messagesQueued: number;
  messagesPublished: number;
  samplesPublished: number;
  publishErrors: number;
  byKind: Record<string, number>;
}

/**
 * N simulated saws as MQTT devices on one virtual clock. `start()` connects every device and
 * starts pumping; `stop()` stops the pump, publishes `state offline` and disconnects each.
 */
export class Fleet {
  private readonly seed: number;
  private readonly speed: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  private devices: SawDevice[] = [];
  private simulators: SawSimulator[] = [];
  private timer: NodeJS.Timeout | undefined;
  private realStart = 0;
  private virtualStart = 0;
  private pumping = false;
  private readonly stats: FleetCounters = {
    messagesQueued: 0,
    messagesPublished: 0,
    samplesPublished: 0,
    publishErrors: 0,
    byKind: {},
  };

  constructor(private readonly o: FleetOptions) {
    this.seed = o.seed ?? 42;
    this.speed = o.speed ?? 1;
    this.clock = o.clock ?? systemClock;
    this.log = o.logger.child({ svc: 'simulator' });
    if (!(this.speed > 0)) throw new RangeError('speed must be > 0');
  }

  /** Virtual now of the fleet's clock. */
  virtualNow(): number {
    return this.virtualStart + (this.clock.now() - this.realStart) * this.speed;
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  async start(): Promise<void> {
    if (this.devices.length > 0) throw new Error('fleet already started');
    this.simulators = [];
    this.realStart = this.clock.now();
    this.virtualStart = this.o.startMs ?? this.realStart;
    const sampleIntervalMs = this.o.sampleIntervalMs ?? 1000;
    for (const machine of this.o.machines) {
      const simulator = createSimulator(this.o.seeds, machine, {
        seed: this.seed,
        startMs: this.virtualStart,
        sampleIntervalMs,
        faults: this.o.faults,
        tuning: this.o.tuning,
      });
      this.simulators.push(simulator);
      this.devices.push(
        new SawDevice({
          machine,
          simulator,
          brokerUrl: this.o.brokerUrl,
          bootId: bootIdFor(this.seed, machine.machineId, this.virtualStart),
          bootTs: this.virtualStart,
          samplesPerMessage: this.o.samplesPerMessage ?? 5,
          logger: this.log,
          connectTimeoutMs: this.o.connectTimeoutMs,
          onPublished: (m, err) => this.count(m, err),
        }),
      );
    }
    const results = await Promise.allSettled(this.devices.map((d) => d.start()));
    const failed = results.filter((r) => r.status === 'rejected');
    if (failed.length > 0) {
      this.log.warn({ failed: failed.length, of: this.devices.length }, 'some devices did not connect yet');
    }
    this.log.info(
      { machines: this.devices.length, speed: this.speed, seed: this.seed, virtualStart: this.virtualStart },
      'simulated fleet started',
    );
    this.timer = setInterval(() => this.pump(), this.o.tickMs ?? 200);
  }

  private count(m: OutMessage, err?: Error): void {
    if (err) {
      this.stats.publishErrors++;
      return;
    }
    this.stats.messagesPublished++;
    this.stats.samplesPublished += m.samples;
    this.stats.byKind[m.kind] = (this.stats.byKind[m.kind] ?? 0) + 1;
  }

  /** Advances every device to the virtual now (also callable directly, e.g. from tests). */
  pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      const now = this.virtualNow();
      for (const d of this.devices) this.stats.messagesQueued += d.pump(now);
    } catch (err) {
      this.log.error({ err }, 'simulator pump failed');
    } finally {
      this.pumping = false;
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const now = this.virtualNow();
    await Promise.allSettled(this.devices.map((d) => d.stop(now)));
    if (this.o.labelsFile) writeLabels(this.o.labelsFile, this.labels());
    this.log.info({ ...this.stats, byKind: undefined }, 'simulated fleet stopped');
    this.devices = [];
  }

  counters(): FleetCounters {
    return { ...this.stats, byKind: { ...this.stats.byKind } };
  }

  /** Ground truth of the faults started so far. */
  labels(): FaultLabel[] {
    return this.simulators.flatMap((s) => s.labels());
  }

  /** The same fleet without MQTT over [fromMs, toMs): deterministic for the seed. */
  runOffline(fromMs: number, toMs: number): OfflineRun {
    return runOffline(this.o.machines, fromMs, toMs, {
      seeds: this.o.seeds,
      seed: this.seed,
      sampleIntervalMs: this.o.sampleIntervalMs,
      samplesPerMessage: this.o.samplesPerMessage,
      faults: this.o.faults,
      tuning: this.o.tuning,
    });
  }
}

/** Writes labels as JSON lines (one label per line). */
export function writeLabels(path: string, labels: readonly FaultLabel[]): void {
  writeFileSync(path, labels.map((l) => JSON.stringify(l)).join('\n') + (labels.length ? '\n' : ''));
}
