import { z } from 'zod';
import { SawBrainError } from '../../core/errors.js';
import type { DatabasesReadApi, MachineScope, Scope } from '../../databases/read-api.js';
import type { ApiIdentity } from '../../registry/index.js';
import { forbidden, machineFor } from '../access.js';
import type { ApiDeps } from '../deps.js';

export const DAY = 86_400_000;
export const T0 = 1_764_374_400_000; // 2025-11-29T00:00Z, for the examples

/** The caller's tier as the databases' read scope. */
export function scopeOf(id: ApiIdentity): Scope {
  switch (id.role) {
    case 'admin':
      return { kind: 'all' };
    case 'manufacturer':
      return { kind: 'tenant', tenant: id.tenant! };
    case 'plant':
      return { kind: 'plant', plant: id.plant! };
    case 'innovation':
      return { kind: 'anonymised' };
  }
}

export function machineScope(id: ApiIdentity): MachineScope {
  const s = scopeOf(id);
  if (s.kind === 'anonymised') throw forbidden('per-machine data is not part of the innovation tier');
  return s;
}

/** A list request's page for the databases' read API (`cursor` only when given). */
export const pageOf = (q: { limit: number; cursor?: string | undefined }) => ({
  limit: q.limit,
  ...(q.cursor ? { cursor: q.cursor } : {}),
});

/** The `machineId` filter of a fleet list, checked against the caller's scope; none when absent. */
export const machineFilter = (deps: ApiDeps, id: ApiIdentity, machineId: string | undefined) =>
  machineId ? { machines: [machineFor(id, deps.registry, machineId).machineId] } : {};

export function need(deps: ApiDeps): DatabasesReadApi {
  if (!deps.databases)
    throw new SawBrainError('UNAVAILABLE', 'the four databases are not built in this process');
  return deps.databases;
}

export const byList = <T extends string>(values: readonly [T, ...T[]]) =>
  z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (!s) return undefined;
      const parts = s.split(',').map((p) => p.trim());
      for (const p of parts)
        if (!(values as readonly string[]).includes(p))
          ctx.addIssue({ code: 'custom', message: `unknown dimension ${p}` });
      return parts as T[];
    })
    .describe(`comma-separated: ${values.join(', ')}`);

export const Cursor = z.object({
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  cursor: z.string().max(512).optional().describe('`next` of the previous page'),
});
export const cursorPage = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), next: z.string().optional().describe('absent on the last page') });

export const ex = {
  tenant: 'chenlong',
  machine: 'CL-GZ4235-001',
};
