import { type AnyMessage, parseTopic, validateMessage } from '../../contracts/index.js';
import type { Seeds } from '../../seeds/index.js';
import {
  bootIdFor,
  createSimulator,
  demoFleetMachines,
  type FaultKind,
  type FaultLabel,
  type FaultSpec,
  type FleetMachine,
  Outbox,
  type OutMessage,
  Rng,
  randomFaultPlan,
  type SimulatorTuning,
} from '../../simulator/index.js';
import { AnalysisEngine, type EngineOptions } from '../engine.js';
import type { LifecycleEvent } from '../lifecycle/record.js';

const H = 3_600_000;

export interface EvalRunOptions {
  seeds: Seeds;
  seed: number;
  days: number;
  /** Monday 2025-03-03 00:00 UTC by default */
  startMs?: number;
  machines?: readonly FleetMachine[];
  /** commissioning: faults start after this many hours (baselines are learned meanwhile) */
  warmupH?: number;
  /** faults stop starting this many hours before the end, so each can develop (default 48: the
   * week runs Monday to Sunday and 1×8 / 2×8 plants rest on Sundays) */
  tailH?: number;
  perMachinePerDay?: number;
  healthyShare?: number;
  /** fault kinds to draw (default: all) */
  kinds?: readonly FaultKind[];
  /** an explicit fault plan instead of a random one */
  plan?: readonly FaultSpec[];
  /** simulator options for every machine (schedule, job, blade, initial blade use) */
  tuning?: SimulatorTuning;
  /**
   * a controller that reports no alarms: its alarm messages and `alarm` states are not sent (the
   * state stays what it was), so breakage and trips must be read from the telemetry
   */
  withholdAlarms?: boolean;
  /** sees every message as it is fed (tests) */
  onMessage?: (m: OutMessage) => void;
  sampleIntervalMs?: number;
  samplesPerMessage?: number;
  engine?: Partial<Omit<EngineOptions, 'seeds'>>;
  /** validate every n-th message against the standard (0 = never) */
  validateEvery?: number;
  onProgress?: (virtualMs: number, fraction: number) => void;
}

/** Ground truth of the mounted blade's consumed life, sampled once per chunk. */
export interface BladeTruth {
  ts: number;
  bladeId: string;
  used: number;
}

export interface EvalRun {
  seed: number;
  startMs: number;
  endMs: number;
  plan: FaultSpec[];
  labels: FaultLabel[];
  events: LifecycleEvent[];
  /** remaining-life figures published with blade warnings, by warning id */
  remaining: Record<string, number>;
  truth: Record<string, BladeTruth[]>;
  dismounts: { machine: string; ts: number; bladeId: string; reason: string }[];
  machines: string[];
  messages: number;
  samples: number;
  invalid: number;
  failures: number;
}

/** runOffline's message stream, generated chunk by chunk and fed straight into the engine. */
export function runEvaluation(o: EvalRunOptions): EvalRun {
  const startMs = o.startMs ?? Date.UTC(2025, 2, 3, 0, 0, 0);
  const endMs = startMs + o.days * 24 * H;
  const machines = o.machines ?? demoFleetMachines(o.seeds);
  const plan = o.plan
    ? [...o.plan]
    : randomFaultPlan({
        machineIds: machines.map((m) => m.machineId),
        fromMs: startMs + (o.warmupH ?? 24) * H,
        toMs: endMs - (o.tailH ?? 48) * H,
        rng: new Rng(o.seed).fork('eval-plan'),
        perMachinePerDay: o.perMachinePerDay ?? 0.8,
        healthyShare: o.healthyShare ?? 0.5,
        ...(o.kinds ? { kinds: o.kinds } : {}),
      });
  const plantOf = new Map(machines.map((m) => [m.machineId, m.plant]));
  const engine = new AnalysisEngine({ seeds: o.seeds, plantOf: (_t, id) => plantOf.get(id), ...o.engine });
  const sampleIntervalMs = o.sampleIntervalMs ?? 1000;
  const units = machines.map((m) => ({
    m,
    sim: createSimulator(o.seeds, m, {
      seed: o.seed,
      startMs,
      sampleIntervalMs,
      faults: plan,
      ...(o.tuning ? { tuning: o.tuning } : {}),
    }),
    outbox: new Outbox(
      m.tenant,
      m.machineId,
      bootIdFor(o.seed, m.machineId, startMs),
      o.samplesPerMessage ?? 5,
    ),
  }));
  const run: EvalRun = {
    seed: o.seed,
    startMs,
    endMs,
    plan,
    labels: [],
    events: [],
    remaining: {},
    truth: Object.fromEntries(machines.map((m) => [m.machineId, []])),
    dismounts: [],
    machines: machines.map((m) => m.machineId),
    messages: 0,
    samples: 0,
    invalid: 0,
    failures: 0,
  };
  const every = o.validateEvery ?? 997;
  const collect = (out: ReturnType<AnalysisEngine['tick']>) => {
    run.failures += out.failures.length;
    for (const ev of out.events) run.events.push(ev);
    for (const r of out.publish)
      if (r.remainingLife && !(r.warningId in run.remaining))
        run.remaining[r.warningId] = r.remainingLife.percent;
  };
  const feed = (msg: OutMessage) => {
    if (
      o.withholdAlarms &&
      (msg.kind === 'alarm' ||
        (msg.kind === 'state' && (msg.payload as { state?: string }).state === 'alarm'))
    )
      return;
    o.onMessage?.(msg);
    const address = parseTopic(msg.topic)!;
    run.messages++;
    run.samples += msg.samples;
    if (every > 0 && run.messages % every === 0 && !validateMessage(msg.kind, msg.payload).ok) run.invalid++;
    if (msg.kind === 'blade' && msg.payload.event === 'dismount') {
      const p = msg.payload as { ts: number; blade: { bladeId: string }; reason?: string };
      run.dismounts.push({
        machine: address.machine,
        ts: p.ts,
        bladeId: p.blade.bladeId,
        reason: p.reason ?? '',
      });
    }
    collect(
      engine.handle(
        address,
        { kind: msg.kind, payload: msg.payload } as AnyMessage,
        msg.payload.ts as number,
      ),
    );
  };
  for (const u of units) feed(u.outbox.birth(u.sim.birth(startMs)));
  const chunk = 60_000;
  for (let t = startMs; t < endMs; t += chunk) {
    const until = Math.min(endMs, t + chunk) - 1;
    for (const u of units) {
      for (const msg of u.outbox.push(u.sim.advance(until))) feed(msg);
      run.truth[u.m.machineId]!.push({
        ts: until,
        bladeId: u.sim.mountedBlade.bladeId,
        used: u.sim.bladeLifeUsed,
      });
    }
    collect(engine.tick(until));
    if (o.onProgress && (t - startMs) % (6 * H) === 0)
      o.onProgress(t - startMs, (t - startMs) / (endMs - startMs));
  }
  for (const u of units) for (const msg of u.outbox.flush()) feed(msg);
  run.labels = units.flatMap((u) => u.sim.labels());
  return run;
}
