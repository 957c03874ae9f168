import { z } from 'zod';
import { ModbusMap } from './map-schema.js';
import { BUILT_IN_MAP_NAMES } from './maps.js';

/** Modbus TCP controller: where it is and which register map it uses. */
export const ModbusAdapterConfig = z.strictObject({
  protocol: z.literal('modbus'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65_535).default(502),
  unitId: z.number().int().min(0).max(255).default(1),
  timeoutMs: z.number().int().min(50).max(60_000).default(1000),
  /** a built-in map name (docs/edge.md) or an inline map */
  map: z.union([
    z.string().refine((m) => BUILT_IN_MAP_NAMES.includes(m), {
      message: `unknown built-in map (built in: ${BUILT_IN_MAP_NAMES.join(', ')})`,
    }),
    ModbusMap,
  ]),
});
export type ModbusAdapterConfig = z.infer<typeof ModbusAdapterConfig>;
