import type { MachineState, Sample } from '../../../services/contracts/index.js';
import type { TelemetryVariable } from '../../../services/contracts/variables.js';
import { TELEMETRY_VARIABLE_NAMES } from '../../../services/contracts/variables.js';
import { loadSeeds, type Seeds } from '../../../services/seeds/index.js';
import { SawSimulator } from '../../../services/simulator/index.js';
import {
  type ActiveAlarm,
  type ControllerAdapter,
  type ControllerReading,
  WRITE_TARGETS,
  type WriteTarget,
} from '../types.js';
import type { SimulatorAdapterConfig } from './config.js';

const seedCache = new Map<string, Seeds>();

function seedsFrom(dir: string): Seeds {
  let seeds = seedCache.get(dir);
  if (!seeds) {
    seeds = loadSeeds(dir);
    seedCache.set(dir, seeds);
  }
  return seeds;
}

/**
 * Wraps a SawSimulator: each read advances it to the virtual now and returns every sample due
 * (accelerated sampling), the state it reports as the controller mode, and its active alarms.
 * Setup and blade change count as an open guard. Writes land in virtual registers that read
 * back what was written (the simulated physics does not follow them).
 */
export class SimulatorAdapter implements ControllerAdapter {
  readonly protocol = 'simulator';
  readonly capabilities: readonly TelemetryVariable[] = TELEMETRY_VARIABLE_NAMES;
  readonly writable: readonly WriteTarget[] = WRITE_TARGETS;
  private sim: SawSimulator | undefined;
  private anchor = 0;
  private mode: MachineState | undefined;
  private readonly alarms = new Map<string, ActiveAlarm>();
  private readonly registers = new Map<WriteTarget, number>([
    ['feedOverride', 100],
    ['feedHold', 0],
  ]);

  constructor(
    private readonly cfg: SimulatorAdapterConfig,
    private readonly o: { machineId: string; sampleIntervalMs: number; now: () => number },
  ) {}

  /** the simulator's virtual time at real time `now` */
  virtualAt(now: number): number {
    return Math.round(this.anchor + (now - this.anchor) * this.cfg.speed);
  }

  async connect(): Promise<void> {
    const now = this.o.now();
    this.anchor = this.cfg.anchorMs ?? now;
    const seeds = seedsFrom(this.cfg.seedsDir);
    this.sim = new SawSimulator({
      machineId: this.o.machineId,
      seeds,
      model: this.cfg.model,
      industry: this.cfg.industry,
      region: this.cfg.region,
      seed: this.cfg.seed,
      startMs: this.virtualAt(now),
      sampleIntervalMs: this.o.sampleIntervalMs,
      ...(this.cfg.schedule ? { schedule: this.cfg.schedule } : {}),
      ...(this.cfg.job ? { job: this.cfg.job } : {}),
      ...(this.cfg.blade ? { blade: this.cfg.blade } : {}),
      ...(this.cfg.initialBladeUse !== undefined ? { initialBladeUse: this.cfg.initialBladeUse } : {}),
    });
  }

  async read(now: number): Promise<ControllerReading> {
    const sim = this.sim;
    if (!sim) throw new Error('simulator not connected');
    const samples: Sample[] = [];
    for (const e of sim.advance(this.virtualAt(now))) {
      if (e.kind === 'sample') samples.push(e.sample);
      else if (e.kind === 'state') this.mode = e.body.state;
      else if (e.kind === 'alarm') {
        if (e.body.active) this.alarms.set(e.body.code, { code: e.body.code, severity: e.body.severity });
        else this.alarms.delete(e.body.code);
      }
    }
    return {
      samples,
      status: {
        ...(this.mode ? { mode: this.mode } : {}),
        guardOpen: this.mode === 'setup' || this.mode === 'blade-change',
        alarms: [...this.alarms.values()],
        feedHold: (this.registers.get('feedHold') ?? 0) !== 0,
        feedOverride: this.registers.get('feedOverride') ?? 100,
        ...(this.registers.has('bladeSpeedSetpoint')
          ? { bladeSpeedSetpoint: this.registers.get('bladeSpeedSetpoint')! }
          : {}),
      },
    };
  }

  async write(target: WriteTarget, value: number): Promise<void> {
    if (!this.sim) throw new Error('simulator not connected');
    this.registers.set(target, value);
  }

  resolution(): number {
    return 0;
  }

  async readBack(target: WriteTarget): Promise<number> {
    return this.registers.get(target) ?? 0;
  }

  async close(): Promise<void> {
    this.sim = undefined;
  }
}
