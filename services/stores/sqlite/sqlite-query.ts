import type Database from 'better-sqlite3';
import { SawBrainError } from '../../core/errors.js';
import type { FieldValue, SeriesQuery, SeriesRow } from '../../core/ports.js';
import { type FieldKind, q, type Schema, type TableInfo } from './sqlite-schema.js';

/**
 * Queries of the SQLite store with the semantics of the InfluxStore's InfluxQL: rows (or buckets)
 * where none of the selected fields has a value are left out, unknown fields read as null, an
 * unknown measurement or an unknown tag filtered on a non-empty value gives [], empty tag values
 * are no tags, ties in time are ordered by tag values, and `limit` applies after ordering.
 */
const SQL_FN = { mean: 'AVG', min: 'MIN', max: 'MAX', sum: 'SUM', count: 'COUNT' } as const;
/** field kinds each aggregate accepts (InfluxDB 1.x: min/max work on booleans, not on strings) */
const ACCEPTS: Record<string, readonly FieldKind[]> = {
  mean: ['real'],
  sum: ['real'],
  min: ['real', 'bool'],
  max: ['real', 'bool'],
};

function convert(value: unknown, kind: FieldKind | undefined): FieldValue | null {
  if (value === null || value === undefined || kind === undefined) return null;
  return kind === 'bool' ? value === 1 : (value as FieldValue);
}

function groupTags(cols: readonly string[], row: readonly unknown[], offset: number): Record<string, string> {
  const tags: Record<string, string> = {};
  for (let i = 0; i < cols.length; i++) {
    const value = row[offset + i] as string;
    if (value !== '') tags[cols[i]!] = value;
  }
  return tags;
}

interface Plan {
  table: TableInfo;
  fields: string[];
  known: string[];
  where: string[];
  params: unknown[];
  dir: 'ASC' | 'DESC';
  limit: string;
}

export function runQuery(db: Database.Database, schema: Schema, query: SeriesQuery): SeriesRow[] {
  const table = schema.tables.get(query.measurement);
  if (!table) return [];
  const where = ['ts >= ?', 'ts < ?'];
  const params: unknown[] = [query.from, query.to];
  for (const [key, value] of Object.entries(query.where ?? {})) {
    if (table.tags.includes(key)) {
      where.push(`${q(key)} = ?`);
      params.push(value);
    } else if (value !== '') return [];
  }
  const fields = query.fields?.length ? query.fields : [...table.fields.keys()];
  const known = [...new Set(fields.filter((f) => table.fields.has(f)))];
  if (known.length === 0) return [];
  where.push(`(${known.map((f) => `${q(f)} IS NOT NULL`).join(' OR ')})`);
  const plan: Plan = {
    table,
    fields,
    known,
    where,
    params,
    dir: query.order === 'desc' ? 'DESC' : 'ASC',
    limit: query.limit === undefined ? '' : ` LIMIT ${query.limit}`,
  };
  if (!query.fn) return raw(db, plan);
  const accepts = ACCEPTS[query.fn];
  for (const f of accepts ? known : []) {
    if (!accepts!.includes(table.fields.get(f)!)) {
      throw new SawBrainError(
        'QUERY_INVALID',
        `${query.fn}() does not work on ${table.fields.get(f)} field ${f}`,
      );
    }
  }
  return aggregate(db, plan, query);
}

function raw(db: Database.Database, plan: Plan): SeriesRow[] {
  const { table, fields, known, dir } = plan;
  const tagCols = [...table.tags].sort();
  const cols = [...tagCols.map(q), 'ts', ...known.map(q)];
  const order = [`ts ${dir}`, ...tagCols.map(q)];
  const sql = `SELECT ${cols.join(', ')} FROM ${q(table.name)} WHERE ${plan.where.join(' AND ')} ORDER BY ${order.join(', ')}${plan.limit}`;
  const rows = db
    .prepare(sql)
    .raw(true)
    .all(...plan.params) as unknown[][];
  const index = new Map(known.map((f, i) => [f, tagCols.length + 1 + i]));
  return rows.map((row) => {
    const values: Record<string, FieldValue | null> = {};
    for (const f of fields) {
      const at = index.get(f);
      values[f] = at === undefined ? null : convert(row[at], table.fields.get(f));
    }
    return { ts: row[tagCols.length] as number, tags: groupTags(tagCols, row, 0), values };
  });
}

function aggregate(db: Database.Database, plan: Plan, query: SeriesQuery): SeriesRow[] {
  const { table, fields, known } = plan;
  const fn = query.fn!;
  const e = query.every;
  const bucket = e === undefined ? String(query.from) : `(ts - ((ts % ${e}) + ${e}) % ${e})`;
  const groups = [...new Set(query.groupBy ?? [])].filter((g) => table.tags.includes(g)).sort();
  const head = [`${bucket} AS b`, ...groups.map(q)];
  const groupBy = ` GROUP BY ${['b', ...groups.map(q)].join(', ')}`;
  const from = `FROM ${q(table.name)} WHERE ${plan.where.join(' AND ')}`;
  const toRow = (row: unknown[], values: Record<string, FieldValue | null>): SeriesRow => ({
    ts: row[0] as number,
    tags: groupTags(groups, row, 1),
    values,
  });

  if (fn !== 'first' && fn !== 'last') {
    // a group where a field has no value gives null for it, as InfluxDB does (not a count of 0)
    const exprs = known.map((f) => (fn === 'count' ? `NULLIF(COUNT(${q(f)}), 0)` : `${SQL_FN[fn]}(${q(f)})`));
    const order = ['b', ...groups.map(q)].map((c, i) => (i === 0 ? `${c} ${plan.dir}` : c));
    const sql = `SELECT ${[...head, ...exprs].join(', ')} ${from}${groupBy} HAVING COUNT(*) > 0 ORDER BY ${order.join(', ')}${plan.limit}`;
    const rows = db
      .prepare(sql)
      .raw(true)
      .all(...plan.params) as unknown[][];
    const index = new Map(known.map((f, i) => [f, head.length + i]));
    return rows.map((row) => {
      const values: Record<string, FieldValue | null> = {};
      for (const f of fields) {
        const at = index.get(f);
        values[f] =
          at === undefined
            ? null
            : fn === 'count'
              ? (row[at] as number | null)
              : convert(row[at], table.fields.get(f));
      }
      return toRow(row, values);
    });
  }

  // first/last: one query per field, taking the field from the row with MIN/MAX(ts) (SQLite's
  // bare-column rule), merged per (bucket, group)
  const merged = new Map<string, { row: unknown[]; values: Record<string, FieldValue | null> }>();
  for (const f of known) {
    const pick = fn === 'first' ? 'MIN(ts)' : 'MAX(ts)';
    const sql = `SELECT ${[...head, pick, q(f)].join(', ')} ${from} AND ${q(f)} IS NOT NULL${groupBy}`;
    const rows = db
      .prepare(sql)
      .raw(true)
      .all(...plan.params) as unknown[][];
    for (const row of rows) {
      const key = JSON.stringify(row.slice(0, head.length));
      let entry = merged.get(key);
      if (!entry) {
        entry = { row, values: Object.fromEntries(fields.map((name) => [name, null])) };
        merged.set(key, entry);
      }
      entry.values[f] = convert(row[head.length + 1], table.fields.get(f));
    }
  }
  const sign = plan.dir === 'ASC' ? 1 : -1;
  const out = [...merged.values()].sort((a, b) => {
    const dt = (a.row[0] as number) - (b.row[0] as number);
    if (dt !== 0) return sign * dt;
    for (let i = 1; i <= groups.length; i++) {
      const x = a.row[i] as string;
      const y = b.row[i] as string;
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  });
  const limited = query.limit === undefined ? out : out.slice(0, query.limit);
  return limited.map((entry) => toRow(entry.row, entry.values));
}
