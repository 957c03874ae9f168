import { join } from 'node:path';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { MachineRegistry } from '../registry/index.js';
import { loadSeeds } from '../seeds/index.js';
import { demoFleetMachines, Fleet, type FleetMachine } from '../simulator/index.js';

export interface SimulatedFleet {
  stats(): { machines: number; messages: number; samples: number };
  stop(): Promise<void>;
}

/** The demo fleet of seeds/ (cycled with suffixes when more machines are asked for). */
export function pickMachines(all: FleetMachine[], count: number): FleetMachine[] {
  const out: FleetMachine[] = [];
  for (let i = 0; i < count; i++) {
    const base = all[i % all.length]!;
    const round = Math.floor(i / all.length);
    const machineId = round === 0 ? base.machineId : `${base.machineId}-S${round}`;
    out.push({ ...base, machineId, serial: `${base.serial ?? base.machineId}-${round}` });
  }
  return out;
}

/**
 * Provisions the simulated saws in the registry (new credentials each start: they are
 * simulated, their passwords live only in this process) and starts them publishing.
 */
export async function startSimulatedFleet(deps: {
  config: Config;
  registry: MachineRegistry;
  brokerUrl: string;
  logger: Logger;
}): Promise<SimulatedFleet> {
  const { config, registry } = deps;
  const seeds = loadSeeds(join(import.meta.dirname, '../../seeds'));
  const machines = pickMachines(demoFleetMachines(seeds), config.simulator.machines);
  for (const m of machines) {
    if (registry.get(m.machineId)) {
      m.password = await registry.rotate(m.machineId);
    } else {
      const created = await registry.addMachine({
        machineId: m.machineId,
        tenant: m.tenant,
        plant: m.plant ?? 'simulated plant',
        site: m.site ?? 'simulated site',
        region: m.region ?? 'unknown',
        industry: m.industry,
        model: m.model,
        serial: m.serial ?? m.machineId,
      });
      m.password = created.password;
    }
  }
  const fleet = new Fleet({
    seeds,
    machines,
    brokerUrl: deps.brokerUrl,
    logger: deps.logger, // the fleet names itself (svc: simulator)
    seed: config.simulator.seed,
    speed: config.simulator.speed,
    sampleIntervalMs: config.simulator.sampleIntervalMs,
    samplesPerMessage: config.simulator.samplesPerMessage,
    labelsFile: join(config.dataDir, 'simulator-labels.jsonl'),
  });
  await fleet.start();
  return {
    stats: () => {
      const c = fleet.counters();
      return { machines: machines.length, messages: c.messagesPublished, samples: c.samplesPublished };
    },
    stop: () => fleet.stop(),
  };
}
