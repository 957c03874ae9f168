import { z } from 'zod';
import { Section } from '../../../services/contracts/index.js';
import { ShiftPattern } from '../../../services/seeds/index.js';

/**
 * The fleet simulator as a controller (services/simulator's SawSimulator): for demos, load tests
 * and the outage tests. Its virtual clock is `anchorMs + (now − anchorMs) × speed`, so with a
 * fixed anchor a restarted gateway carries on at the same virtual time instead of repeating it.
 */
export const SimulatorAdapterConfig = z.strictObject({
  protocol: z.literal('simulator'),
  model: z.string().min(1).describe('seeds/models.json id'),
  industry: z.string().min(1).default('general-machining'),
  region: z.string().min(1).default('cn-zhejiang'),
  seed: z.number().int().default(42),
  speed: z.number().min(0.01).max(100_000).default(1).describe('virtual ms per real ms'),
  anchorMs: z.number().int().min(946_684_800_000).optional().describe('default: when the adapter starts'),
  schedule: z.union([z.literal('always'), ShiftPattern]).optional(),
  job: z.strictObject({ grade: z.string().min(1), section: Section }).optional(),
  blade: z.string().min(1).optional().describe('seeds/blades.json id'),
  initialBladeUse: z.number().min(0).max(1).optional(),
  seedsDir: z.string().min(1).default('seeds'),
});
export type SimulatorAdapterConfig = z.infer<typeof SimulatorAdapterConfig>;
