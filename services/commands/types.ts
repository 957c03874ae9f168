import { z } from 'zod';
import { CommandType, MachineId } from '../contracts/index.js';

/**
 * A command's life, two-phase: created (with an idempotency key and an expiry) → published on the
 * machine's command topic → `accepted` or `rejected` by the machine or its edge gateway
 * (interlocks) → `done` once the machine confirms execution, or `failed`. A command nobody
 * answers in time is `expired` at its expiry. `done`, `rejected`, `failed` and `expired` are
 * terminal.
 */
export const CommandStatus = z.enum(['pending', 'sent', 'accepted', 'done', 'rejected', 'failed', 'expired']);
export type CommandStatus = z.infer<typeof CommandStatus>;
export const TERMINAL: ReadonlySet<CommandStatus> = new Set(['done', 'rejected', 'failed', 'expired']);

export const CommandParams = z
  .strictObject({
    percent: z.number().min(0).max(150).optional().describe('feed-override: feed in % of programmed'),
    bladeSpeed: z.number().min(0).max(400).optional().describe('blade-speed-setpoint: m/min'),
  })
  .default({});

/** What a caller asks for (body of POST …/commands). */
export const CommandRequest = z
  .strictObject({
    type: CommandType,
    params: CommandParams,
    idempotencyKey: z
      .string()
      .min(8)
      .max(64)
      .regex(/^[A-Za-z0-9_.:-]+$/, 'idempotency key: 8-64 chars of A-Z, a-z, 0-9, _ . : -')
      .describe('the same key from the same API key never creates a second command'),
    ttlMs: z
      .number()
      .int()
      .min(500)
      .optional()
      .describe('expiry from now (default SAWBRAIN_API_COMMAND_TTL_MS, at most the configured maximum)'),
  })
  .superRefine((c, ctx) => {
    if (c.type === 'feed-override' && c.params.percent === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['params', 'percent'],
        message: 'feed-override needs params.percent',
      });
    if (c.type === 'blade-speed-setpoint' && c.params.bladeSpeed === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['params', 'bladeSpeed'],
        message: 'blade-speed-setpoint needs params.bladeSpeed',
      });
  });
export type CommandRequest = z.input<typeof CommandRequest>;

export const CommandRecord = z.object({
  commandId: z.string(),
  groupId: z.string().nullable().describe('line commands: the id shared by the fanned-out commands'),
  tenant: z.string(),
  machineId: MachineId,
  plant: z.string(),
  type: CommandType,
  params: z.record(z.string(), z.number()),
  status: CommandStatus,
  reason: z.string().nullable(),
  idempotencyKey: z.string(),
  issuedBy: z.string().describe('API key id of the issuer'),
  issuedByLabel: z.string(),
  createdAt: z.number(),
  expiresAt: z.number(),
  sentAt: z.number().nullable(),
  acceptedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
});
export type CommandRecord = z.infer<typeof CommandRecord>;
