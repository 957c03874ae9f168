import { SawBrainError } from '../../core/errors.js';
import type { DatabaseName, SeriesRow, TelemetryStore } from '../../core/ports.js';
import type { MachineInfo } from '../directory.js';
import type { MachineFilter, MachineScope, Page, PageRequest, Scope, TimeRange } from '../read-api.js';

export const DEFAULT_LIMIT = 1000;
export const MAX_LIMIT = 10_000;

/** The machines a scope (narrowed by a filter) may see; `all` when unrestricted. */
export function machinesOf(
  scope: Scope,
  known: readonly MachineInfo[],
  filter: MachineFilter = {},
): { all: true } | { all: false; ids: Set<string>; info: Map<string, MachineInfo> } {
  if (scope.kind === 'anonymised') {
    throw new SawBrainError('FORBIDDEN', 'per-machine data is not available to the anonymised tier');
  }
  const info = new Map(known.map((m) => [m.machineId, m]));
  let ids: Set<string> | undefined;
  switch (scope.kind) {
    case 'all':
      break;
    case 'tenant':
      ids = new Set(known.filter((m) => m.tenant === scope.tenant).map((m) => m.machineId));
      break;
    case 'plant':
      ids = new Set(known.filter((m) => m.plant === scope.plant).map((m) => m.machineId));
      break;
    case 'machines':
      ids = new Set(scope.machines);
      break;
  }
  if (filter.machines) {
    const wanted = new Set(filter.machines);
    ids = new Set([...(ids ?? wanted)].filter((id) => wanted.has(id)));
  }
  return ids === undefined ? { all: true } : { all: false, ids, info };
}

export function assertMachineScope(scope: Scope): asserts scope is MachineScope {
  if (scope.kind === 'anonymised') {
    throw new SawBrainError('FORBIDDEN', 'per-machine data is not available to the anonymised tier');
  }
}

export function checkRange(r: TimeRange): void {
  if (!Number.isSafeInteger(r.from) || !Number.isSafeInteger(r.to) || r.to < r.from) {
    throw new SawBrainError('QUERY_INVALID', 'range needs integer epoch ms with from ≤ to');
  }
}

interface Cursor {
  ts: number;
  skip: number;
}

function decodeCursor(c: string | undefined): Cursor | undefined {
  if (!c) return undefined;
  try {
    const v = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as Cursor;
    if (Number.isSafeInteger(v.ts) && Number.isSafeInteger(v.skip) && v.skip >= 0) return v;
  } catch {
    // fall through
  }
  throw new SawBrainError('QUERY_INVALID', 'cursor is not one this API issued');
}

const encodeCursor = (c: Cursor) => Buffer.from(JSON.stringify(c)).toString('base64url');

const tieKey = (r: SeriesRow) => JSON.stringify(r.tags);
const order = (a: SeriesRow, b: SeriesRow) =>
  a.ts - b.ts || (tieKey(a) < tieKey(b) ? -1 : tieKey(a) > tieKey(b) ? 1 : 0);

/**
 * One page of raw rows of a per-machine measurement, oldest first, for the machines a scope
 * allows (one query per machine, or one for all). Ties in time are ordered by tags; the cursor
 * is (ts, rows of that ts already returned).
 */
export async function pagedRows(
  store: TelemetryStore,
  q: { db: DatabaseName; measurement: string; where?: Record<string, string>; fields?: string[] },
  range: TimeRange,
  machines: { all: true } | { all: false; ids: Set<string> },
  page: PageRequest = {},
): Promise<Page<SeriesRow>> {
  checkRange(range);
  const limit = Math.min(MAX_LIMIT, Math.max(1, Math.floor(page.limit ?? DEFAULT_LIMIT)));
  const cursor = decodeCursor(page.cursor);
  const from = Math.max(range.from, cursor?.ts ?? range.from);
  const skip = cursor && cursor.ts === from ? cursor.skip : 0;
  const want = limit + skip + 1;
  const base = { ...q, from, to: range.to, order: 'asc' as const, limit: want };
  const parts = machines.all
    ? [await store.query(base)]
    : await Promise.all(
        [...machines.ids].sort().map((machine) => store.query({ ...base, where: { ...q.where, machine } })),
      );
  const rows = parts.flat().sort(order);
  const items = rows.slice(skip, skip + limit);
  if (rows.length <= skip + limit || items.length === 0) return { items };
  const last = items[items.length - 1]!.ts;
  const sameTs = items.filter((r) => r.ts === last).length + (last === from ? skip : 0);
  return { items, next: encodeCursor({ ts: last, skip: sameTs }) };
}
