import { z } from 'zod';
import { BootId, MachineId } from './ids.js';
import { TELEMETRY_VARIABLES, type TelemetryVariable } from './variables.js';

/** Version of the sawing data standard carried in every payload (`v`) and in the topic. */
export const STANDARD_VERSION = 1 as const;

/** Epoch milliseconds, UTC. Bounded to 2000-01-01 .. 2100-01-01 so seconds or µs are caught. */
export const EpochMs = z
  .number()
  .int()
  .min(946_684_800_000, 'timestamp must be epoch milliseconds (got something before 2000: seconds?)')
  .max(4_102_444_800_000, 'timestamp must be epoch milliseconds (got something after 2100: µs or ns?)');

/** Fields every message carries: standard version, device time, and `(bootId, seq)`. */
const envelope = {
  v: z.literal(STANDARD_VERSION),
  ts: EpochMs.describe('Device timestamp of the message, epoch ms UTC'),
  bootId: BootId,
  seq: z
    .number()
    .int()
    .min(0)
    .max(2 ** 53 - 1)
    .describe('Per-boot sequence number, +1 for every message the device publishes'),
};

const finite = (name: TelemetryVariable) => {
  const spec = TELEMETRY_VARIABLES[name];
  return z
    .number()
    .min(spec.min, `${name} below ${spec.min} ${spec.unit}: wrong unit or broken sensor`)
    .max(spec.max, `${name} above ${spec.max} ${spec.unit}: wrong unit or broken sensor`)
    .describe(`${spec.description} [${spec.unit}]`)
    .optional();
};

const sampleShape = Object.fromEntries(
  (Object.keys(TELEMETRY_VARIABLES) as TelemetryVariable[]).map((name) => [name, finite(name)]),
) as { [K in TelemetryVariable]: ReturnType<typeof finite> };

function hasVariable(sample: Record<string, unknown>): boolean {
  for (const key in sample) if (key !== 'ts') return true;
  return false;
}

export const Sample = z
  .strictObject({ ts: EpochMs.describe('Sample time, epoch ms UTC'), ...sampleShape })
  .refine(hasVariable, 'a sample needs at least one variable besides ts');
export type Sample = z.infer<typeof Sample>;

/** Optional unit declaration: if a sender states units, they must be the standard's. */
const unitsShape = Object.fromEntries(
  (Object.keys(TELEMETRY_VARIABLES) as TelemetryVariable[]).map((name) => [
    name,
    z.literal(TELEMETRY_VARIABLES[name].unit).optional(),
  ]),
) as { [K in TelemetryVariable]: z.ZodOptional<z.ZodLiteral<string>> };

export const Telemetry = z.strictObject({
  ...envelope,
  samples: z.array(Sample).min(1).max(5000).describe('Timestamped samples, oldest first'),
  units: z
    .strictObject(unitsShape)
    .optional()
    .describe('Optional statement of units; each must equal the standard unit'),
});
export type Telemetry = z.infer<typeof Telemetry>;

export const BladeType = z.enum(['bimetal-m42', 'bimetal-m51', 'carbide-tipped', 'carbon', 'diamond']);

export const BladeSpec = z.strictObject({
  bladeId: z.string().min(1).max(64).describe('Identity of this blade loop (serial or label)'),
  type: BladeType,
  catalogueId: z.string().max(64).optional().describe('Blade catalogue entry in seeds/blades.json'),
  widthMm: z.number().positive().max(100),
  thicknessMm: z.number().positive().max(5),
  lengthMm: z.number().positive().max(30_000),
  tpi: z
    .string()
    .regex(/^\d+(\.\d+)?(\/\d+(\.\d+)?)?$/, 'tpi like "3/4", "2/3", "6" or "1.4/2"')
    .describe('Teeth per inch, variable pitch as "coarse/fine"'),
  supplier: z.string().max(64).optional(),
});
export type BladeSpec = z.infer<typeof BladeSpec>;

export const Birth = z.strictObject({
  ...envelope,
  model: z.string().min(1).max(64).describe('Saw model (seeds/models.json id where known)'),
  serial: z.string().min(1).max(64),
  firmware: z.string().min(1).max(64),
  capabilities: z
    .array(z.enum(Object.keys(TELEMETRY_VARIABLES) as [TelemetryVariable, ...TelemetryVariable[]]))
    .describe('Variables this controller reports'),
  sampleIntervalMs: z.number().int().min(10).max(3_600_000),
  blade: BladeSpec.optional().describe('Blade mounted at boot'),
  gateway: z.string().max(64).optional().describe('Edge gateway that speaks for this controller'),
});
export type Birth = z.infer<typeof Birth>;

export const SectionShape = z.enum([
  'round',
  'square',
  'rectangle',
  'tube',
  'rect-tube',
  'profile',
  'bundle',
]);

export const Section = z.strictObject({
  shape: SectionShape,
  diameterMm: z.number().positive().max(3000).optional(),
  widthMm: z.number().positive().max(3000).optional(),
  heightMm: z.number().positive().max(3000).optional(),
  wallMm: z.number().positive().max(500).optional(),
  pieces: z.number().int().positive().max(1000).optional().describe('Pieces in a bundle'),
});
export type Section = z.infer<typeof Section>;

export const Cut = z
  .strictObject({
    ...envelope,
    cutId: z.string().min(1).max(64),
    start: EpochMs,
    end: EpochMs,
    completed: z.boolean().describe('false if the cut was aborted'),
    material: z.strictObject({
      grade: z.string().min(1).max(64).describe('e.g. "1045", "304", "H13"'),
      class: z.string().max(32).optional().describe('machinability class, seeds/materials.json'),
    }),
    section: Section,
    areaCm2: z.number().min(0).max(100_000),
    cuttingRateCm2Min: z.number().min(0).max(10_000),
    energyKWh: z.number().min(0).max(10_000).describe('Total energy over the cut, ∫P dt'),
    cuttingEnergyKWh: z.number().min(0).max(10_000).describe('Cutting share, ∫(P − P_idle) dt'),
    peakCurrentA: z.number().min(0).max(2000),
    meanCurrentA: z.number().min(0).max(2000),
    maxDeviationMm: z.number().min(0).max(50),
    meanBladeSpeed: z.number().min(0).max(400).optional(),
    meanDownFeed: z.number().min(0).max(1000).optional(),
    meanFeedForce: z.number().min(0).max(100_000).optional(),
    bladeId: z.string().min(1).max(64),
  })
  .refine((c) => c.end >= c.start, { message: 'end must not be before start', path: ['end'] })
  .refine((c) => c.cuttingEnergyKWh <= c.energyKWh + 1e-9, {
    message: 'cutting energy cannot exceed total energy',
    path: ['cuttingEnergyKWh'],
  });
export type Cut = z.infer<typeof Cut>;

export const MachineState = z.enum(['running', 'idle', 'setup', 'blade-change', 'alarm', 'offline']);
export type MachineState = z.infer<typeof MachineState>;

export const State = z.strictObject({
  ...envelope,
  state: MachineState,
  reason: z.string().max(200).optional(),
  lastWill: z
    .boolean()
    .optional()
    .describe('true on the MQTT last-will message; such a message is exempt from seq tracking'),
});
export type State = z.infer<typeof State>;

export const Alarm = z.strictObject({
  ...envelope,
  code: z.string().min(1).max(32).describe('Controller alarm code (vendor-specific)'),
  severity: z.enum(['info', 'warning', 'critical']),
  active: z.boolean().describe('true when raised, false when the controller clears it'),
  text: z.string().max(500).optional(),
});
export type Alarm = z.infer<typeof Alarm>;

export const BladeEvent = z.strictObject({
  ...envelope,
  event: z.enum(['mount', 'dismount']),
  blade: BladeSpec,
  reason: z.enum(['new', 'worn', 'broken', 'material-change', 'maintenance', 'other']).optional(),
  areaCutCm2: z.number().min(0).optional().describe('Area cut by this blade, on dismount'),
  cuts: z.number().int().min(0).optional().describe('Cuts made by this blade, on dismount'),
});
export type BladeEvent = z.infer<typeof BladeEvent>;

export const CommandType = z.enum([
  'stop-after-cut',
  'pause-feed',
  'resume-feed',
  'feed-override',
  'blade-speed-setpoint',
  'reset-alarm',
  'request-snapshot',
]);

export const Command = z.strictObject({
  ...envelope,
  commandId: z.string().min(1).max(64),
  type: CommandType,
  params: z
    .strictObject({
      percent: z.number().min(0).max(150).optional().describe('feed-override %'),
      bladeSpeed: z.number().min(0).max(400).optional().describe('blade-speed-setpoint, m/min'),
    })
    .default({}),
  expiresAt: EpochMs,
  issuedBy: z.string().max(64).optional(),
  machineId: MachineId.optional().describe('Target machine when a gateway relays for several'),
});
export type Command = z.infer<typeof Command>;

export const CommandAck = z.strictObject({
  ...envelope,
  commandId: z.string().min(1).max(64),
  status: z.enum(['accepted', 'rejected', 'executed', 'failed']),
  reason: z.string().max(500).optional(),
});
export type CommandAck = z.infer<typeof CommandAck>;

export const WarningSeverity = z.enum(['info', 'warning', 'critical']);
/** Alarm lifecycle after OPC UA Part 9 / ISA-18.2. */
export const WarningState = z.enum([
  'raised',
  'acknowledged',
  'shelved',
  'suppressed',
  'cleared',
  'resolved',
]);

export const ProbableCause = z.strictObject({
  cause: z.string().min(1).max(64).describe('failure mode id from seeds/fault-dictionary.json'),
  probability: z.number().min(0).max(1),
  action: z.string().max(500).describe('what to do'),
});

/** A fault warning, published by SawBrain's analysis into the machine's namespace (HMI, edge). */
export const Warning = z.strictObject({
  ...envelope,
  warningId: z.string().min(1).max(64),
  type: z.string().min(1).max(64).describe('what is warned about, e.g. "blade-wear", "hydraulic-leak"'),
  rule: z.string().max(64).optional().describe('rule id and version that raised it'),
  severity: WarningSeverity,
  state: WarningState,
  title: z.string().min(1).max(200),
  message: z.string().max(1000).optional(),
  raisedAt: EpochMs,
  occurrences: z.number().int().min(1).describe('times the condition re-occurred while active'),
  causes: z.array(ProbableCause).max(10).default([]).describe('ranked probable causes'),
  evidence: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])).default({}),
  remainingLife: z
    .strictObject({
      areaCm2: z.number().min(0),
      cuts: z.number().min(0),
      percent: z.number().min(0).max(100),
      lowCm2: z.number().min(0).describe('lower bound of the uncertainty band'),
      highCm2: z.number().min(0).describe('upper bound of the uncertainty band'),
    })
    .optional()
    .describe('blade remaining life, for wear warnings'),
});
export type Warning = z.infer<typeof Warning>;
