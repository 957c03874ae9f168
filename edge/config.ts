import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { BladeSpec, MachineId, Section, TenantId } from '../services/contracts/index.js';
import { formatIssues } from '../services/contracts/validate.js';
import { SawBrainError } from '../services/core/errors.js';
import { ModbusAdapterConfig } from './adapters/modbus/config.js';
import { OpcuaAdapterConfig } from './adapters/opcua/config.js';
import { SimulatorAdapterConfig } from './adapters/simulator/config.js';

/**
 * The edge gateway's configuration: one validated JSON file (docs/edge.md is its reference).
 * Every problem is reported at once; the broker password may come from the environment
 * (SAWBRAIN_EDGE_PASSWORD) or a file so that it stays out of the config.
 */
const ms = (min: number, max: number) => z.number().int().min(min).max(max);

export const AdapterConfig = z.discriminatedUnion('protocol', [
  ModbusAdapterConfig,
  OpcuaAdapterConfig,
  SimulatorAdapterConfig,
]);
export type AdapterConfig = z.infer<typeof AdapterConfig>;

export const CutConfig = z.strictObject({
  currentOnA: z.number().positive().optional().describe('motor current above which the blade is cutting'),
  powerOnKw: z.number().positive().optional().describe('power above which the blade is cutting'),
  loadRisePct: z.number().min(1).max(1000).default(20).describe('else: load this much above idle'),
  feedOnMmMin: z.number().min(0).default(2).describe('down-feed above which the head is feeding'),
  confirmSamples: z.number().int().min(1).max(100).default(2),
  minDurationMs: ms(0, 3_600_000).default(2000),
  idlePowerKw: z
    .number()
    .min(0)
    .optional()
    .describe('P_idle; learned from running, not-cutting samples if unset'),
  bottomMm: z.number().optional().describe('head position at the end of a complete cut'),
  material: z
    .strictObject({ grade: z.string().min(1).max(64), class: z.string().max(32).optional() })
    .default({
      grade: 'unknown',
    }),
  section: Section.optional().describe('the workpiece section; area from it'),
  workpieceWidthMm: z.number().positive().max(3000).optional().describe('else area = head travel × width'),
  bladeId: z.string().min(1).max(64).default('unknown'),
  powerFromCurrent: z
    .strictObject({ voltageV: z.number().positive(), powerFactor: z.number().min(0.05).max(1).default(0.85) })
    .optional()
    .describe('estimate P = √3·U·I·cosφ when the controller reports no power'),
});
export type CutConfig = z.infer<typeof CutConfig>;

export const InterlockConfig = z.strictObject({
  feedOverrideMin: z.number().min(0).default(0),
  feedOverrideMax: z.number().max(150).default(120),
  bladeSpeedMin: z.number().min(0).default(0),
  bladeSpeedMax: z.number().max(400).default(400),
  staleStateMs: ms(100, 3_600_000).optional().describe('default 3 reads + 2 s'),
});
export type InterlockConfig = z.infer<typeof InterlockConfig>;

export const ControllerConfig = z.strictObject({
  machineId: MachineId,
  model: z.string().min(1).max(64),
  serial: z.string().min(1).max(64),
  firmware: z.string().min(1).max(64).default('unknown'),
  sampleIntervalMs: ms(10, 3_600_000).default(1000).describe('interval of the samples (birth)'),
  pollIntervalMs: ms(1, 3_600_000)
    .optional()
    .describe('how often the controller is read (default sampleIntervalMs)'),
  samplesPerMessage: z.number().int().min(1).max(1000).default(10),
  maxBatchMs: ms(10, 600_000).default(1000).describe('a partial batch is sent after this long'),
  blade: BladeSpec.optional().describe('blade announced in the birth'),
  adapter: AdapterConfig,
  cuts: CutConfig.prefault({}),
  interlocks: InterlockConfig.prefault({}),
  reconnect: z
    .strictObject({ minMs: ms(10, 600_000).default(500), maxMs: ms(10, 3_600_000).default(30_000) })
    .prefault({}),
});
export type ControllerConfig = z.infer<typeof ControllerConfig>;

export const GatewayConfig = z
  .strictObject({
    gatewayId: MachineId.describe('MQTT username and client id of the gateway principal'),
    tenant: TenantId,
    dataDir: z.string().min(1).default('data/edge'),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    broker: z.strictObject({
      url: z.string().regex(/^(mqtts?|wss?|tcp):\/\//, 'broker URL like mqtt://host:1883'),
      username: z.string().min(1).optional().describe('default gatewayId'),
      password: z.string().optional(),
      passwordFile: z.string().min(1).optional(),
      keepaliveS: z.number().int().min(1).max(3600).default(30),
      connectTimeoutMs: ms(100, 120_000).default(10_000),
      reconnectMs: ms(10, 600_000).default(2000),
      cleanSession: z
        .boolean()
        .default(false)
        .describe('false: the broker keeps commands during short outages'),
      maxPacketBytes: z
        .number()
        .int()
        .min(1024)
        .default(256 * 1024),
    }),
    outbox: z
      .strictObject({
        maxBytes: z
          .number()
          .int()
          .min(4096)
          .default(256 * 1024 * 1024),
        maxAgeMs: ms(1000, 365 * 86_400_000).default(7 * 86_400_000),
        sweepIntervalMs: ms(100, 3_600_000).default(10_000),
        synchronous: z.enum(['normal', 'full']).default('normal'),
      })
      .prefault({}),
    uplink: z
      .strictObject({
        maxInflight: z.number().int().min(1).max(65_000).default(32),
        liveReserve: z
          .number()
          .int()
          .min(0)
          .max(65_000)
          .default(8)
          .describe('in-flight slots backfill leaves to live'),
        backfillRatePerSec: z.number().positive().default(50).describe('backlog messages per second'),
        backfillBurst: z.number().int().min(1).default(20),
        backfillBytesPerSec: z.number().positive().optional(),
      })
      .prefault({}),
    http: z
      .strictObject({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65_535).default(9464),
      })
      .optional()
      .describe('/health and /metrics; omitted = off'),
    controllers: z.array(ControllerConfig).min(1).max(256),
  })
  .refine((c) => new Set(c.controllers.map((x) => x.machineId)).size === c.controllers.length, {
    message: 'machineId must be unique',
    path: ['controllers'],
  })
  .refine((c) => c.uplink.liveReserve < c.uplink.maxInflight, {
    message: 'liveReserve must be below maxInflight',
    path: ['uplink', 'liveReserve'],
  });
export type GatewayConfig = z.infer<typeof GatewayConfig>;
export type GatewayConfigInput = z.input<typeof GatewayConfig>;

/** Validates a parsed config; throws CONFIG_INVALID listing every problem. */
export function parseGatewayConfig(raw: unknown): GatewayConfig {
  const parsed = GatewayConfig.safeParse(raw);
  if (!parsed.success) throw new SawBrainError('CONFIG_INVALID', formatIssues(parsed.error.issues, 50));
  return parsed.data;
}

/** Reads the JSON file, validates it and resolves the broker password (env, file, or inline). */
export function loadGatewayConfig(path: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  if (!existsSync(path)) throw new SawBrainError('CONFIG_INVALID', `config file not found: ${path}`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new SawBrainError('CONFIG_INVALID', `${path} is not JSON: ${(err as Error).message}`);
  }
  const config = parseGatewayConfig(raw);
  const fromEnv = env.SAWBRAIN_EDGE_PASSWORD;
  if (fromEnv) config.broker.password = fromEnv;
  else if (config.broker.passwordFile) {
    try {
      config.broker.password = readFileSync(config.broker.passwordFile, 'utf8').trim();
    } catch (err) {
      throw new SawBrainError('CONFIG_INVALID', `broker.passwordFile: ${(err as Error).message}`);
    }
  }
  return config;
}
