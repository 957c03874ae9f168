import { isSawBrainError } from '../../services/core/errors.js';
import type { Aggregate, FieldValue, Point, SeriesRow } from '../../services/core/ports.js';

/** Data and expectations for the TelemetryStore contract suite (stores.contract.ts). */
export const T0 = 1_700_000_000_000;

export function sortRows(rows: SeriesRow[]): SeriesRow[] {
  const key = (r: SeriesRow) =>
    `${String(r.ts).padStart(16, '0')}|${JSON.stringify(Object.entries(r.tags).sort())}`;
  return [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** What a raw query without `fields` must return for `points` (one identity each). */
export function expectedRaw(points: Point[]): SeriesRow[] {
  const fields = [...new Set(points.flatMap((p) => Object.keys(p.fields)))];
  return sortRows(
    points.map((p) => ({
      ts: p.ts,
      tags: Object.fromEntries(Object.entries(p.tags).filter(([, v]) => v !== '')),
      values: Object.fromEntries(fields.map((f) => [f, p.fields[f] ?? null])) as Record<
        string,
        FieldValue | null
      >,
    })),
  );
}

export async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return isSawBrainError(err) ? err.code : `not a SawBrainError: ${String(err)}`;
  }
  return 'resolved';
}

/** A fleet of `machines` machines sampling `n` times each, 1 s apart, from T0. */
export function fleet(measurement: string, machines: number, n: number, fields = 2): Point[] {
  const points: Point[] = [];
  for (let m = 0; m < machines; m++) {
    const tags = { tenant: 'acme', machine: `m${m}` };
    for (let i = 0; i < n; i++) {
      const values: Record<string, FieldValue> = {};
      for (let f = 0; f < fields; f++) values[`f${f}`] = ((i * 7 + m * 13 + f * 3) % 101) + f / 4;
      points.push({ db: 'operations', measurement, tags, fields: values, ts: T0 + i * 1000 });
    }
  }
  return points;
}

/** fn over `field` per (time bucket, machine) computed in the test, ordered like the stores order. */
export function aggregateHere(
  points: Point[],
  fn: Aggregate,
  field: string,
  every: number,
  byMachine = true,
): SeriesRow[] {
  const groups = new Map<string, { ts: number; machine: string; vs: number[] }>();
  for (const p of points) {
    const ts = Math.floor(p.ts / every) * every;
    const machine = byMachine ? p.tags.machine! : '';
    const key = `${ts}|${machine}`;
    const g = groups.get(key) ?? { ts, machine, vs: [] };
    g.vs.push(p.fields[field] as number);
    groups.set(key, g);
  }
  const rows = [...groups.values()].map(({ ts, machine, vs }) => {
    const sum = vs.reduce((a, v) => a + v, 0);
    const value = {
      mean: sum / vs.length,
      max: Math.max(...vs),
      min: Math.min(...vs),
      sum,
      count: vs.length,
      first: vs[0]!,
      last: vs[vs.length - 1]!,
    }[fn];
    return { ts, tags: (machine ? { machine } : {}) as Record<string, string>, values: { f1: value } };
  });
  return sortRows(rows);
}
