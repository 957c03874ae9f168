import { SawBrainError } from '../../core/errors.js';
import type { DeleteQuery, FieldValue, SeriesQuery, SeriesRow } from '../../core/ports.js';

/**
 * InfluxQL for a SeriesQuery (read through the 1.x-compatible `/query` endpoint of InfluxDB 1.x,
 * 2.x and 3.x) and the mapping of its JSON answer back to SeriesRow[].
 *
 * Raw queries use `GROUP BY *` so every row carries its tags; aggregates alias each field to its own
 * name (`mean("f") AS "f"`), bucket with `GROUP BY time(<every>ms)` aligned to the epoch and
 * `fill(none)`. InfluxDB applies LIMIT per series, so rows of all series are merged, ordered by
 * (time, tags) and cut to `limit` here: the same result the SQLite store gives.
 */

/** InfluxDB's time range is ±(2^63 − 2) ns; clamp so open-ended queries stay valid. */
const MAX_MS = 9_223_372_036_854;

export function quoteIdent(name: string): string {
  return `"${name.replace(/[\\"]/g, '\\$&')}"`;
}

export function quoteLiteral(value: string): string {
  return `'${value.replace(/[\\']/g, '\\$&').replace(/\n/g, '\\n')}'`;
}

export function buildInfluxQL(q: SeriesQuery): string {
  const from = Math.max(-MAX_MS, Math.min(MAX_MS, q.from));
  const to = Math.max(-MAX_MS, Math.min(MAX_MS, q.to));
  const where = [`time >= ${from}ms`, `time < ${to}ms`];
  for (const [key, value] of Object.entries(q.where ?? {}))
    where.push(`${quoteIdent(key)} = ${quoteLiteral(value)}`);
  const fields = [...new Set(q.fields ?? [])];
  let select: string;
  const group: string[] = [];
  if (q.fn) {
    select = fields.map((f) => `${q.fn}(${quoteIdent(f)}) AS ${quoteIdent(f)}`).join(', ');
    if (q.every !== undefined) group.push(`time(${q.every}ms)`);
    for (const tag of new Set(q.groupBy ?? [])) group.push(quoteIdent(tag));
  } else {
    select = fields.length ? fields.map(quoteIdent).join(', ') : '*';
    group.push('*');
  }
  let text = `SELECT ${select} FROM ${quoteIdent(q.measurement)} WHERE ${where.join(' AND ')}`;
  if (group.length) text += ` GROUP BY ${group.join(', ')}`;
  if (q.fn && q.every !== undefined) text += ' fill(none)';
  if (q.order === 'desc') text += ' ORDER BY time DESC';
  if (q.limit !== undefined) text += ` LIMIT ${q.limit}`;
  return text;
}

/** `DELETE FROM "m" WHERE time < <before>ms AND "tag" = 'v' …` (InfluxDB 1.x; series of other measurements stay). */
export function buildDelete(d: DeleteQuery): string {
  const before = Math.max(-MAX_MS, Math.min(MAX_MS, d.before));
  const where = [`time < ${before}ms`];
  for (const [key, value] of Object.entries(d.where ?? {}))
    where.push(`${quoteIdent(key)} = ${quoteLiteral(value)}`);
  return `DELETE FROM ${quoteIdent(d.measurement)} WHERE ${where.join(' AND ')}`;
}

/**
 * The body of InfluxDB 2.x's `POST /api/v2/delete`: an inclusive [start, stop] range in RFC 3339
 * (stop = before − 1 ms: SawBrain writes whole milliseconds, so that is every point before the
 * cutoff) and a delete predicate (`_measurement="m" AND "tag"="v"`: keys quoted as identifiers,
 * so one that is an InfluxQL keyword parses too; values in double quotes, `"` escaped). Null when
 * the range is empty.
 */
export function v2DeleteBody(d: DeleteQuery): { start: string; stop: string; predicate: string } | null {
  const stop = Math.min(MAX_MS, d.before - 1);
  if (stop < -MAX_MS) return null;
  const str = (value: string) => `"${value.replace(/"/g, '\\"')}"`;
  const predicate = [`_measurement=${str(d.measurement)}`];
  for (const [key, value] of Object.entries(d.where ?? {})) predicate.push(`"${key}"=${str(value)}`);
  return {
    start: new Date(-MAX_MS).toISOString(),
    stop: new Date(stop).toISOString(),
    predicate: predicate.join(' AND '),
  };
}

interface Series {
  tags?: Record<string, string>;
  columns?: string[];
  values?: unknown[][];
}
interface Result {
  error?: string;
  series?: Series[];
}
interface Answer {
  results?: Result[];
  error?: string;
}

/** The answer is one JSON document, or one per line with `chunked=true`. */
function documents(text: string): Answer[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  try {
    return [JSON.parse(trimmed) as Answer];
  } catch {
    return trimmed
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Answer);
  }
}

interface Keyed {
  row: SeriesRow;
  key: string[];
}

function compare(a: Keyed, b: Keyed, sign: number): number {
  if (a.row.ts !== b.row.ts) return sign * (a.row.ts - b.row.ts);
  for (let i = 0; i < a.key.length; i++) {
    const x = a.key[i]!;
    const y = b.key[i] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Maps the JSON answer to rows. Throws QUERY_INVALID for query errors; a missing database reads as []. */
export function parseAnswer(text: string, q: SeriesQuery): SeriesRow[] {
  const rows: Keyed[] = [];
  for (const doc of documents(text)) {
    const errors = [doc.error, ...(doc.results ?? []).map((r) => r.error)].filter((e): e is string => !!e);
    for (const error of errors) {
      if (/database not found/i.test(error)) return [];
      throw new SawBrainError('QUERY_INVALID', error);
    }
    for (const result of doc.results ?? []) {
      for (const series of result.series ?? []) collect(series, q, rows);
    }
  }
  rows.sort((a, b) => compare(a, b, q.order === 'desc' ? -1 : 1));
  const out = rows.map((r) => r.row);
  return q.limit === undefined ? out : out.slice(0, q.limit);
}

function collect(series: Series, q: SeriesQuery, out: Keyed[]): void {
  const columns = series.columns ?? [];
  const seriesTags = series.tags ?? {};
  const tagKeys = Object.keys(seriesTags).sort();
  const tags: Record<string, string> = {};
  for (const key of tagKeys) if (seriesTags[key] !== '') tags[key] = seriesTags[key]!;
  const key = tagKeys.map((k) => seriesTags[k]!);
  const timeAt = columns.indexOf('time');
  const fields = q.fields?.length
    ? [...new Set(q.fields)]
    : columns.filter((c) => c !== 'time' && !Object.hasOwn(seriesTags, c));
  const at = fields.map((f) => columns.indexOf(f));
  for (const values of series.values ?? []) {
    const row: Record<string, FieldValue | null> = {};
    for (let i = 0; i < fields.length; i++) {
      row[fields[i]!] = at[i]! < 0 ? null : ((values[at[i]!] ?? null) as FieldValue | null);
    }
    const ts = q.fn && q.every === undefined ? q.from : (values[timeAt] as number);
    out.push({ row: { ts, tags: { ...tags }, values: row }, key });
  }
}
