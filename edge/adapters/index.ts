import { join } from 'node:path';
import type { Logger } from '../../services/core/logger.js';
import type { ControllerConfig } from '../config.js';
import { ModbusAdapter } from './modbus/adapter.js';
import { SimulatorAdapter } from './simulator/adapter.js';
import type { ControllerAdapter } from './types.js';

export type { ControllerAdapter, ControllerReading, ControllerStatus, WriteTarget } from './types.js';

/**
 * The adapter of a controller, chosen by its `protocol`. A new protocol is a folder under
 * adapters/ with its config schema (added to the union in config.ts) and one case here.
 */
export async function createAdapter(
  controller: ControllerConfig,
  deps: { logger: Logger; dataDir: string; now: () => number },
): Promise<ControllerAdapter> {
  const a = controller.adapter;
  const log = deps.logger.child({ machineId: controller.machineId, protocol: a.protocol });
  switch (a.protocol) {
    case 'modbus':
      return new ModbusAdapter(a, log);
    case 'opcua': {
      // node-opcua is large and starts work when loaded: only gateways that use it load it
      const { OpcuaAdapter } = await import('./opcua/adapter.js');
      return new OpcuaAdapter(a, {
        log,
        pkiDir: join(deps.dataDir, 'opcua-pki'),
        sampleIntervalMs: controller.sampleIntervalMs,
      });
    }
    case 'simulator':
      return new SimulatorAdapter(a, {
        machineId: controller.machineId,
        sampleIntervalMs: controller.sampleIntervalMs,
        now: deps.now,
      });
  }
}
