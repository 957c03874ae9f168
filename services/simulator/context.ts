import type { MachineState, Section } from '../contracts/messages.js';
import type { Industry, Region, SawModel, Seeds } from '../seeds/index.js';
import type { AlarmMonitor } from './alarms.js';
import type { MountedBlade } from './blade-life.js';
import type { CutRecorder } from './cut-recorder.js';
import type { ChartPoint, Job } from './cutting.js';
import type { FaultInstance } from './fault-instance.js';
import type { CutSetup, SawPhysics } from './physics.js';
import type { Rng } from './rng.js';
import type { Schedule } from './schedule.js';
import type { Traits } from './signals.js';

export type Phase =
  | 'boot'
  | 'idle'
  | 'setup'
  | 'approach'
  | 'cutting'
  | 'retract'
  | 'blade-change'
  | 'pause'
  | 'alarm';

export type BladeReason = 'new' | 'worn' | 'broken' | 'material-change' | 'maintenance' | 'other';

/** The mutable state of one simulated saw, shared by the cycle logic and the simulator. */
export interface MachineContext {
  readonly machineId: string;
  readonly seeds: Seeds;
  readonly model: SawModel;
  readonly industry: Industry;
  readonly region: Region;
  readonly traits: Traits;
  readonly intervalMs: number;
  readonly schedule: Schedule;
  readonly fixedJob: { grade: string; section: Section } | undefined;
  readonly bladeChoice: string | undefined;
  /** process decisions (jobs, durations, blades) */
  readonly rng: Rng;
  readonly faults: FaultInstance[];
  readonly alarms: AlarmMonitor;
  readonly phys: SawPhysics;
  /** time of the sample being produced */
  t: number;
  phase: Phase;
  phaseUntil: number;
  state: MachineState | undefined;
  job: (Job & { chart: ChartPoint }) | undefined;
  piecesLeft: number;
  jobNeedsLoading: boolean;
  blade: MountedBlade;
  bladeCount: number;
  pendingChange: BladeReason | undefined;
  recorder: CutRecorder | undefined;
  cut: CutSetup | undefined;
  cutCount: number;
  lastCompleted: boolean;
  overStreak: number;
  devCuts: number;
  baselineKw: number;
}
