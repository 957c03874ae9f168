import { z } from 'zod';
import { TELEMETRY_VARIABLE_NAMES } from '../../../services/contracts/variables.js';
import { AlarmSeverities, ModeCodes } from '../status.js';
import { WriteTarget } from '../types.js';
import { RegisterType, WordOrder } from './registers.js';

/**
 * A controller model's register map: where each telemetry variable, status flag and command
 * target lives, its type and scaling. Addresses are 0-based protocol addresses (holding
 * register 40001 in a PLC manual is `{ table: "holding", address: 0 }`).
 */
export const RegisterRef = z.strictObject({
  table: z.enum(['holding', 'input']).default('holding').describe('FC3 holding or FC4 input registers'),
  address: z.number().int().min(0).max(65_535),
  type: RegisterType.default('u16'),
  scale: z
    .number()
    .refine((s) => s !== 0, 'scale must not be 0')
    .default(1),
  offset: z.number().default(0),
  /** a flag packed in a u16 register (0 = least significant bit) */
  bit: z.number().int().min(0).max(15).optional(),
});
export type RegisterRef = z.infer<typeof RegisterRef>;

export const CommandRef = RegisterRef.extend({
  table: z.literal('holding').default('holding'),
  verify: z.boolean().default(true).describe('read the register back to confirm the write'),
});
export type CommandRef = z.infer<typeof CommandRef>;

const variableEnum = z.enum(TELEMETRY_VARIABLE_NAMES as [string, ...string[]]);

export const ModbusMap = z.strictObject({
  name: z.string().min(1).max(64),
  description: z.string().max(500).optional(),
  wordOrder: WordOrder.default('big'),
  variables: z.partialRecord(variableEnum, RegisterRef),
  status: z
    .strictObject({
      guardOpen: RegisterRef.optional(),
      alarmCode: RegisterRef.optional().describe('active alarm code; 0 = no alarm'),
      alarmSeverity: RegisterRef.optional().describe('0 none, 1 info, 2 warning, 3 critical'),
      mode: RegisterRef.optional().describe('controller mode code, see modeCodes'),
      feedHold: RegisterRef.optional(),
      feedOverride: RegisterRef.optional(),
      bladeSpeedSetpoint: RegisterRef.optional(),
    })
    .default({}),
  modeCodes: ModeCodes,
  alarmSeverities: AlarmSeverities,
  commands: z.partialRecord(WriteTarget, CommandRef).default({}),
});
export type ModbusMap = z.infer<typeof ModbusMap>;
export type ModbusMapInput = z.input<typeof ModbusMap>;
