import type { Seeds } from '../seeds/index.js';
import type { FaultSpec } from './faults.js';
import { hash32 } from './rng.js';
import { SawSimulator, type SawSimulatorOptions } from './saw-model.js';

/** One simulated machine of a fleet. */
export interface FleetMachine {
  machineId: string;
  tenant: string;
  /** seeds/models.json id */
  model: string;
  /** MQTT password (username and client id are the machine id); not needed offline */
  password?: string;
  plant?: string;
  site?: string;
  /** seeds/industries.json id */
  industry: string;
  /** seeds/regions.json id; default the plant's region, else the first region */
  region?: string;
  serial?: string;
}

/** Options that shape every simulator of a fleet (tests override the job, blade, schedule …). */
export type SimulatorTuning = Partial<
  Pick<SawSimulatorOptions, 'schedule' | 'job' | 'initialBladeUse' | 'blade'>
>;

/** The demo fleet of the seeds as fleet machines; `passwordFor` supplies the credentials. */
export function demoFleetMachines(seeds: Seeds, passwordFor?: (machineId: string) => string): FleetMachine[] {
  return seeds.machines.map((m) => ({
    machineId: m.machineId,
    tenant: m.tenant,
    model: m.model,
    plant: m.plant,
    site: m.site,
    industry: m.industry,
    region: m.region,
    serial: m.serial,
    ...(passwordFor ? { password: passwordFor(m.machineId) } : {}),
  }));
}

/** Per-machine seed: machines are independent streams of the fleet seed. */
export function machineSeed(fleetSeed: number, machineId: string): number {
  return hash32(`${fleetSeed}:${machineId}`);
}

export function createSimulator(
  seeds: Seeds,
  machine: FleetMachine,
  o: {
    seed: number;
    startMs: number;
    sampleIntervalMs: number;
    faults?: readonly FaultSpec[];
    tuning?: SimulatorTuning;
  },
): SawSimulator {
  const region =
    machine.region ??
    (machine.plant ? seeds.lookup.plant.get(machine.plant)?.region : undefined) ??
    seeds.regions[0]!.id;
  return new SawSimulator({
    ...o.tuning,
    machineId: machine.machineId,
    serial: machine.serial,
    seeds,
    model: machine.model,
    industry: machine.industry,
    region,
    seed: machineSeed(o.seed, machine.machineId),
    startMs: o.startMs,
    sampleIntervalMs: o.sampleIntervalMs,
    faults: o.faults?.filter((f) => f.machineId === machine.machineId),
  });
}

/** Deterministic boot id for a machine started at `startMs` under `seed`. */
export function bootIdFor(seed: number, machineId: string, startMs: number, boot = 0): string {
  return `${startMs.toString(36)}-${hash32(`${seed}:${machineId}:${startMs}:${boot}`).toString(16).padStart(8, '0')}`;
}
