import { z } from 'zod';
import { TELEMETRY_VARIABLE_NAMES } from '../../../services/contracts/variables.js';
import { AlarmSeverities, ModeCodes } from '../status.js';
import { WriteTarget } from '../types.js';

/** One OPC UA node and its scaling to the standard's unit: engineering = value × scale + offset. */
export const NodeRef = z.strictObject({
  nodeId: z.string().min(1).describe('e.g. "ns=2;s=Saw.BladeSpeed" or "ns=3;i=1042"'),
  scale: z
    .number()
    .refine((s) => s !== 0, 'scale must not be 0')
    .default(1),
  offset: z.number().default(0),
});
export type NodeRef = z.infer<typeof NodeRef>;

export const OPCUA_WRITE_TYPES = [
  'Double',
  'Float',
  'Int16',
  'UInt16',
  'Int32',
  'UInt32',
  'Boolean',
] as const;

export const CommandNodeRef = NodeRef.extend({
  dataType: z.enum(OPCUA_WRITE_TYPES).default('Double').describe('data type of the node written'),
  verify: z.boolean().default(true).describe('read the node back to confirm the write'),
});
export type CommandNodeRef = z.infer<typeof CommandNodeRef>;

const variableEnum = z.enum(TELEMETRY_VARIABLE_NAMES as [string, ...string[]]);

export const OpcuaAdapterConfig = z.strictObject({
  protocol: z.literal('opcua'),
  endpointUrl: z.string().regex(/^opc\.tcp:\/\/.+/, 'endpoint like opc.tcp://host:4840'),
  securityMode: z.enum(['None', 'Sign', 'SignAndEncrypt']).default('None'),
  securityPolicy: z
    .enum(['None', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'])
    .default('None'),
  userName: z.string().min(1).optional(),
  password: z.string().optional(),
  /** client certificate store (default <dataDir>/opcua-pki) */
  pkiDir: z.string().min(1).optional(),
  /** subscription: monitored items push changes; poll: one Read service call per sample */
  mode: z.enum(['subscription', 'poll']).default('subscription'),
  publishingIntervalMs: z.number().int().min(10).max(60_000).default(100),
  /** server-side sampling of monitored items (default: the controller's sample interval) */
  samplingIntervalMs: z.number().int().min(0).max(60_000).optional(),
  requestTimeoutMs: z.number().int().min(100).max(120_000).default(5000),
  nodes: z.partialRecord(variableEnum, NodeRef),
  status: z
    .strictObject({
      guardOpen: NodeRef.optional(),
      alarmCode: NodeRef.optional(),
      alarmSeverity: NodeRef.optional(),
      mode: NodeRef.optional(),
      feedHold: NodeRef.optional(),
      feedOverride: NodeRef.optional(),
      bladeSpeedSetpoint: NodeRef.optional(),
    })
    .default({}),
  modeCodes: ModeCodes,
  alarmSeverities: AlarmSeverities,
  commands: z.partialRecord(WriteTarget, CommandNodeRef).default({}),
});
export type OpcuaAdapterConfig = z.infer<typeof OpcuaAdapterConfig>;
