import { z } from 'zod';
import { ERROR_CATALOGUE, type ErrorCode } from '../core/errors.js';

/** Shared request/response pieces of the HTTP API (the payload schemas come from services/contracts). */

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(ERROR_CATALOGUE) as [ErrorCode, ...ErrorCode[]]),
      message: z.string(),
      requestId: z.string(),
    }),
  })
  .meta({
    id: 'Error',
    description: 'Every error: a stable code from the catalogue (docs/api.md) and a message',
    examples: [
      { error: { code: 'FORBIDDEN', message: 'not permitted for this key: machine X', requestId: 'req-1' } },
    ],
  });

export const Page = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100).describe('page size'),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0).describe('items to skip'),
});

export function paged<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    total: z.number().int().describe('items matching the filter'),
    limit: z.number().int(),
    offset: z.number().int(),
  });
}

export function paginate<T>(all: readonly T[], p: { limit: number; offset: number }) {
  return {
    items: all.slice(p.offset, p.offset + p.limit),
    total: all.length,
    limit: p.limit,
    offset: p.offset,
  };
}

/** Time range: epoch ms or ISO 8601; `to` defaults to now, `from` to `to` − defaultSpan. */
export const Instant = z
  .union([z.coerce.number().int().min(0), z.iso.datetime({ offset: true })])
  .transform((v) => (typeof v === 'number' ? v : Date.parse(v)))
  .describe('epoch ms or ISO 8601 time');

export const Range = z.object({
  from: Instant.optional(),
  to: Instant.optional(),
});

export function resolveRange(
  r: { from?: number | undefined; to?: number | undefined },
  now: number,
  spanMs: number,
) {
  const to = r.to ?? now;
  const from = r.from ?? to - spanMs;
  return { from, to };
}

export const MachineIdParam = z.object({ machineId: z.string().min(1).max(64) });
