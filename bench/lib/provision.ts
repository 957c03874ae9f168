import { MachineRegistry } from '../../services/registry/index.js';

/**
 * Provisions `count` bench machines in `<dataDir>/registry.sqlite`. Hashes use a cheap scrypt
 * cost (N=1024) so that provisioning and the connect storm of thousands of machines do not
 * dominate a benchmark about throughput and memory; production hashes use N=16384 (~40 ms per
 * login on these machines), which matters for reconnect storms and is reported separately.
 */
export async function provisionBenchMachines(dataDir: string, count: number, prefix = 'BENCH') {
  const registry = MachineRegistry.open(dataDir, { scrypt: { N: 1024, r: 8, p: 1 } });
  try {
    const machines: { id: string; tenant: string; password: string }[] = [];
    for (let i = 0; i < count; i++) {
      const id = `${prefix}-${String(i).padStart(5, '0')}`;
      const { password } = await registry.addMachine({
        machineId: id,
        tenant: 'bench',
        plant: 'bench plant',
        site: 'bench site',
        region: 'bench',
        industry: 'bench',
        model: 'bench',
        serial: id,
      });
      machines.push({ id, tenant: 'bench', password });
    }
    return machines;
  } finally {
    registry.close();
  }
}
