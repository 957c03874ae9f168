import type { DatabaseName, FieldValue, SeriesQuery, SeriesRow, TelemetryStore } from '../core/ports.js';

const PAGE = 10_000;

const rowKey = (r: SeriesRow) => `${r.ts}|${JSON.stringify(r.tags)}`;

/**
 * Every raw row of a query, fetched in pages of 10 000 (InfluxDB servers may cap a response),
 * oldest first. Rows sharing the timestamp at a page boundary are fetched again and dropped.
 */
export async function queryAll(
  store: TelemetryStore,
  q: Omit<SeriesQuery, 'limit' | 'order'>,
): Promise<SeriesRow[]> {
  const out: SeriesRow[] = [];
  let from = q.from;
  let edge = new Set<string>();
  for (;;) {
    const rows = await store.query({ ...q, from, order: 'asc', limit: PAGE });
    for (const r of rows) if (!(r.ts === from && edge.has(rowKey(r)))) out.push(r);
    const last = rows[rows.length - 1]?.ts;
    // a full page at one instant cannot be paged by time: what we have is all we can get
    if (rows.length < PAGE || last === undefined || last === from) return out;
    edge = new Set(rows.filter((r) => r.ts === last).map(rowKey));
    from = last;
  }
}

export const num = (v: FieldValue | null | undefined, dflt = 0): number => (typeof v === 'number' ? v : dflt);
export const str = (v: FieldValue | null | undefined): string | undefined =>
  typeof v === 'string' ? v : undefined;
export const bool = (v: FieldValue | null | undefined): boolean => v === true;

/** Measurement in every database that records each rollup, so readers find the latest snapshot. */
export const SNAPSHOT = 'snapshot';

/** Time of the latest snapshot of `kind` in `db` at or before `at`, or undefined. */
export async function latestSnapshot(
  store: TelemetryStore,
  db: DatabaseName,
  kind: string,
  at: number = Number.MAX_SAFE_INTEGER - 1,
): Promise<number | undefined> {
  const rows = await store.query({
    db,
    measurement: SNAPSHOT,
    from: 0,
    to: at + 1,
    where: { of: kind },
    order: 'desc',
    limit: 1,
  });
  return rows[0]?.ts;
}

/** Rows of a snapshot measurement written at exactly `ts`. */
export function snapshotRows(
  store: TelemetryStore,
  db: DatabaseName,
  measurement: string,
  ts: number,
  where?: Record<string, string>,
): Promise<SeriesRow[]> {
  return queryAll(store, { db, measurement, from: ts, to: ts + 1, ...(where ? { where } : {}) });
}
