import { z } from 'zod';

/**
 * Identifiers that appear in topics. They are restricted to a safe alphabet so that a topic
 * level can never contain MQTT wildcards (`+`, `#`), separators (`/`) or the `$` prefix.
 */
export const TenantId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'tenant id: 1-32 chars of a-z, 0-9, "-", starting alphanumeric')
  .describe('Manufacturer (tenant) slug, e.g. "chenlong"');

export const MachineId = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/,
    'machine id: 1-64 chars of A-Z, a-z, 0-9, "_", "-", starting alphanumeric',
  )
  .describe('Machine identity, unique across the platform; also the MQTT client id and username');

export const BootId = z
  .string()
  .min(1)
  .max(64)
  .describe('Changes every time the controller (or gateway) restarts; scopes `seq`');

export type TenantId = z.infer<typeof TenantId>;
export type MachineId = z.infer<typeof MachineId>;
