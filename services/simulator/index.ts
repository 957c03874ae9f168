/** The fleet simulator: stands in for band-saw controllers until real ones connect. */
export { ALARMS, type AlarmCode } from './alarms.js';
export { CutRecorder } from './cut-recorder.js';
export {
  type ChartPoint,
  chartPoint,
  chooseBlade,
  compatibleBlades,
  correctionAt,
  drawJob,
  type Job,
} from './cutting.js';
export { type DeviceOptions, SawDevice } from './device.js';
export {
  BLADE_BOUND,
  type Effects,
  FAULT_KINDS,
  type FaultKind,
  type FaultLabel,
  type FaultSpec,
  RAMP_MS,
  type RandomPlanOptions,
  randomFaultPlan,
} from './faults.js';
export { Fleet, type FleetCounters, type FleetOptions, writeLabels } from './fleet.js';
export {
  areaBelowMm2,
  descend,
  effectiveWidthMm,
  sectionAreaCm2,
  sectionAreaMm2,
  sectionHeightMm,
  sectionSizeMm,
} from './geometry.js';
export {
  bootIdFor,
  createSimulator,
  demoFleetMachines,
  type FleetMachine,
  machineSeed,
  type SimulatorTuning,
} from './machines.js';
export { type OfflineOptions, type OfflineRun, runOffline } from './offline.js';
export { Outbox, type OutMessage } from './outbox.js';
export { hash32, Rng } from './rng.js';
export { SawSimulator, type SawSimulatorOptions, SIMULATOR_FIRMWARE } from './saw-model.js';
export { type Schedule, shiftStatus } from './schedule.js';
export { DRIVE_EFFICIENCY, SIZE_EFFECT, THRUST_RATIO, wearIndex } from './signals.js';
export type { Body, SimEvent } from './types.js';
