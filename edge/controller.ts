import type { Sample } from '../services/contracts/index.js';
import type { Logger } from '../services/core/logger.js';
import type { ControllerAdapter, ControllerStatus } from './adapters/types.js';
import type { ControllerConfig } from './config.js';
import { AlarmTracker } from './cuts/alarms.js';
import { CutDetector } from './cuts/detector.js';
import { deriveState, StateTracker } from './cuts/state.js';
import type { EdgeMetrics } from './metrics.js';
import type { MachineStream } from './outbox/stream.js';
import { cleanSample } from './samples.js';

/** What the interlocks see of a controller. */
export interface LiveState {
  reachable: boolean;
  /** real time of the last successful read (0 = never) */
  readAt: number;
  status: ControllerStatus;
  inCut: boolean;
  running: boolean;
}

export interface ControllerDeps {
  cfg: ControllerConfig;
  adapter: ControllerAdapter;
  stream: MachineStream;
  gatewayId: string;
  metrics: EdgeMetrics;
  logger: Logger;
  now: () => number;
}

/**
 * One controller's pipeline: reads it every poll interval (reconnecting with back-off when it
 * fails), cleans the samples, batches them into telemetry, detects cuts, tracks alarms and
 * derives the machine state, all numbered through the machine's stream into the outbox.
 */
export class ControllerRunner {
  readonly machineId: string;
  readonly adapter: ControllerAdapter;
  private readonly detector: CutDetector;
  private readonly alarms = new AlarmTracker();
  private readonly states = new StateTracker();
  private readonly log: Logger;
  private batch: Sample[] = [];
  private batchSince = 0;
  private lastTs = 0;
  private connected = false;
  private backoff: number;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private tickDone: Promise<void> = Promise.resolve();
  private live: LiveState = { reachable: false, readAt: 0, status: {}, inCut: false, running: false };

  constructor(private readonly d: ControllerDeps) {
    this.machineId = d.cfg.machineId;
    this.adapter = d.adapter;
    this.detector = new CutDetector(d.cfg.cuts, d.cfg.sampleIntervalMs);
    this.log = d.logger.child({ machineId: this.machineId });
    this.backoff = d.cfg.reconnect.minMs;
  }

  get state(): LiveState {
    return this.live;
  }

  get cutsDetected(): number {
    return this.detector.cuts;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Birth certificate (on every uplink connect). */
  birth(): void {
    const cfg = this.d.cfg;
    this.d.stream.emit('birth', {
      ts: this.timestamp(),
      model: cfg.model,
      serial: cfg.serial,
      firmware: cfg.firmware,
      capabilities: [...this.adapter.capabilities],
      sampleIntervalMs: cfg.sampleIntervalMs,
      ...(cfg.blade ? { blade: cfg.blade } : {}),
      gateway: this.d.gatewayId,
    });
  }

  /** Sends the samples batched so far now (request-snapshot). */
  flush(): void {
    if (this.batch.length === 0) return;
    const samples = this.batch;
    this.batch = [];
    this.d.stream.emit('telemetry', { ts: samples[samples.length - 1]!.ts, samples });
  }

  /**
   * Stops reading. Graceful: the partial batch is sent, a cut in progress is recorded as not
   * completed, and the state goes offline. Not graceful (a crash stand-in): nothing more is numbered.
   */
  async stop(graceful = true): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.tickDone;
    if (graceful) {
      this.flush();
      const cut = this.detector.abort(this.timestamp());
      if (cut) this.d.stream.emit('cut', cut);
      this.d.stream.emit('state', { ts: this.timestamp(), state: 'offline', reason: 'gateway stopped' });
    }
    await this.adapter.close();
    this.connected = false;
    this.d.metrics.controllerUp.set({ machine: this.machineId }, 0);
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.tickDone = this.tick();
    }, ms);
  }

  private async tick(): Promise<void> {
    const started = this.d.now();
    const poll = this.d.cfg.pollIntervalMs ?? this.d.cfg.sampleIntervalMs;
    try {
      if (!this.connected) {
        await this.adapter.connect();
        this.connected = true;
        this.backoff = this.d.cfg.reconnect.minMs;
        this.d.metrics.controllerUp.set({ machine: this.machineId }, 1);
      }
      const reading = await this.adapter.read(this.d.now());
      if (!this.running) return;
      this.process(reading.samples, reading.status);
    } catch (err) {
      this.d.metrics.readErrors.inc({ machine: this.machineId });
      this.d.metrics.controllerUp.set({ machine: this.machineId }, 0);
      this.log.warn({ err: (err as Error).message, retryMs: this.backoff }, 'controller read failed');
      this.unreachable();
      const wait = this.backoff;
      this.backoff = Math.min(this.d.cfg.reconnect.maxMs, this.backoff * 2);
      this.schedule(wait);
      return;
    }
    this.schedule(Math.max(0, poll - (this.d.now() - started)));
  }

  private unreachable(): void {
    if (this.connected) {
      this.connected = false;
      this.adapter.close().catch((err: unknown) => this.log.debug({ err: String(err) }, 'close failed'));
    }
    this.flush();
    const cut = this.detector.abort(this.timestamp());
    if (cut) this.d.stream.emit('cut', cut);
    this.live = { ...this.live, reachable: false, inCut: false, running: false };
    this.publishState();
  }

  private process(samples: readonly Sample[], status: ControllerStatus): void {
    const d = this.d;
    for (const raw of samples) {
      const s = cleanSample(raw, (variable) =>
        d.metrics.rejectedValues.inc({ machine: this.machineId, variable }),
      );
      if (!s) continue;
      d.metrics.samples.inc({ machine: this.machineId });
      if (this.batch.length === 0) this.batchSince = d.now();
      this.batch.push(s);
      this.lastTs = s.ts;
      const cut = this.detector.push(s);
      if (cut) {
        this.flush();
        d.stream.emit('cut', cut);
        d.metrics.cuts.inc({ machine: this.machineId });
      }
      if (this.batch.length >= d.cfg.samplesPerMessage) this.flush();
    }
    this.live = {
      reachable: true,
      readAt: d.now(),
      status,
      inCut: this.detector.inCut,
      running: this.detector.running,
    };
    const changes = this.alarms.update(status.alarms);
    if (changes.length > 0) this.flush();
    for (const a of changes) {
      d.stream.emit('alarm', {
        ts: this.timestamp(),
        code: a.code.slice(0, 32),
        severity: a.severity,
        active: a.active,
        ...(a.text ? { text: a.text } : {}),
      });
    }
    this.publishState();
    if (this.batch.length > 0 && d.now() - this.batchSince >= d.cfg.maxBatchMs) this.flush();
  }

  private publishState(): void {
    const next = this.states.next(
      deriveState({
        reachable: this.live.reachable,
        status: this.live.status,
        inCut: this.live.inCut,
        running: this.live.running,
      }),
    );
    if (!next) return;
    this.flush();
    this.d.stream.emit('state', { ts: this.timestamp(), state: next.state, reason: next.reason });
  }

  /** Message time: the controller's clock as seen in its latest sample, else the gateway's. */
  private timestamp(): number {
    return this.lastTs > 0 ? this.lastTs : Math.round(this.d.now());
  }
}
