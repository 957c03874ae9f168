import { SawBrainError } from '../core/errors.js';
import { DATABASES, type DatabaseName, type DeleteQuery, type SeriesQuery } from '../core/ports.js';

/**
 * Rules both TelemetryStore adapters share, so that data the SQLite store accepts is accepted by
 * InfluxDB 1.x/2.x/3.x too (and vice versa):
 * - measurement, tag and field names: `^[A-Za-z_][A-Za-z0-9_]*$`; tag and field names not `time`,
 *   `ts` (the timestamp) nor InfluxDB 2.x's `_field`, `_measurement`, `_value`, …; measurements
 *   not starting with `sqlite_` or `_sawbrain` (SQLite internals);
 * - tag values: strings without backslash, CR or LF (line protocol cannot carry them unambiguously
 *   across InfluxDB versions); an empty tag value means "no tag";
 * - field values: finite numbers, strings (anything, newlines included), booleans; ≥ 1 field;
 * - ts: a safe integer (epoch ms).
 */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** `time`/`ts` hold the timestamp; the `_…` names are InfluxDB 2.x's own columns */
const RESERVED_KEYS = new Set(['time', 'ts', '_measurement', '_field', '_value', '_time', '_start', '_stop']);
const RESERVED_MEASUREMENT = /^(sqlite_|_sawbrain)/i;
const BAD_TAG_VALUE = /[\\\r\n]/;
const DB_SET = new Set<string>(DATABASES);
const AGGREGATES = new Set(['mean', 'min', 'max', 'sum', 'count', 'first', 'last']);

/** Names already checked (the hot path sees the same few dozen names over and over). */
const knownMeasurements = new Set<string>();
const knownKeys = new Set<string>();

export function identifierProblem(name: unknown, what: 'measurement' | 'tag' | 'field'): string | null {
  if (typeof name !== 'string' || !IDENTIFIER.test(name))
    return `invalid ${what} name ${JSON.stringify(name)}`;
  if (what === 'measurement') {
    if (RESERVED_MEASUREMENT.test(name)) return `reserved measurement name ${JSON.stringify(name)}`;
  } else if (RESERVED_KEYS.has(name.toLowerCase())) {
    return `reserved ${what} name ${JSON.stringify(name)}`;
  }
  return null;
}

/** Throws STORE_REJECTED unless `name` is a valid identifier of its kind (cached). */
export function checkName(name: string, what: 'measurement' | 'tag' | 'field'): void {
  const known = what === 'measurement' ? knownMeasurements : knownKeys;
  if (known.has(name)) return;
  const problem = identifierProblem(name, what);
  if (problem) throw new SawBrainError('STORE_REJECTED', problem);
  if (known.size > 10_000) known.clear();
  known.add(name);
}

export function checkDb(db: string): asserts db is DatabaseName {
  if (!DB_SET.has(db)) throw new SawBrainError('STORE_REJECTED', `unknown database ${JSON.stringify(db)}`);
}

export function checkTagValue(key: string, value: unknown): void {
  if (typeof value !== 'string' || BAD_TAG_VALUE.test(value)) {
    throw new SawBrainError(
      'STORE_REJECTED',
      `tag ${key}: value must be a string without backslash or line breaks, got ${JSON.stringify(value)}`,
    );
  }
}

export function checkTs(ts: number): void {
  if (!Number.isSafeInteger(ts))
    throw new SawBrainError('STORE_REJECTED', `ts must be integer epoch ms, got ${ts}`);
}

export function badField(key: string, value: unknown): SawBrainError {
  return new SawBrainError(
    'STORE_REJECTED',
    `field ${key}: value must be a finite number, a string or a boolean, got ${String(value)}`,
  );
}

function invalid(details: string): SawBrainError {
  return new SawBrainError('QUERY_INVALID', details);
}

function queryName(name: unknown, what: 'measurement' | 'tag' | 'field'): void {
  const problem = identifierProblem(name, what);
  if (problem) throw invalid(problem);
}

function safeInt(value: unknown, what: string, min: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw invalid(`${what} must be an integer ≥ ${min}, got ${String(value)}`);
  }
}

/** Throws QUERY_INVALID for any malformed query; both stores call it before doing anything. */
export function checkQuery(q: SeriesQuery): void {
  if (!DB_SET.has(q.db)) throw invalid(`unknown database ${JSON.stringify(q.db)}`);
  queryName(q.measurement, 'measurement');
  safeInt(q.from, 'from', Number.MIN_SAFE_INTEGER);
  safeInt(q.to, 'to', Number.MIN_SAFE_INTEGER);
  if (q.to < q.from) throw invalid(`to (${q.to}) is before from (${q.from})`);
  if (q.limit !== undefined) safeInt(q.limit, 'limit', 1);
  if (q.order !== undefined && q.order !== 'asc' && q.order !== 'desc')
    throw invalid('order must be asc|desc');
  for (const [key, value] of Object.entries(q.where ?? {})) {
    queryName(key, 'tag');
    if (typeof value !== 'string') throw invalid(`where ${key} must be a string`);
  }
  for (const f of q.fields ?? []) queryName(f, 'field');
  for (const g of q.groupBy ?? []) queryName(g, 'tag');
  if (q.fn === undefined) {
    if (q.every !== undefined) throw invalid('every requires fn');
    if (q.groupBy?.length) throw invalid('groupBy requires fn');
    return;
  }
  if (!AGGREGATES.has(q.fn)) throw invalid(`unknown aggregate ${JSON.stringify(q.fn)}`);
  if (!q.fields?.length) throw invalid('aggregate queries need fields');
  if (q.every !== undefined) safeInt(q.every, 'every', 1);
}

/**
 * Throws QUERY_INVALID for a malformed delete: a known database, a valid measurement, an integer
 * cutoff, tag filters with valid keys and non-empty values a stored tag can hold (no backslash,
 * CR or LF; an empty value would mean "no tag", which InfluxDB's delete cannot express).
 */
export function checkDelete(d: DeleteQuery): void {
  if (!DB_SET.has(d.db)) throw invalid(`unknown database ${JSON.stringify(d.db)}`);
  queryName(d.measurement, 'measurement');
  safeInt(d.before, 'before', Number.MIN_SAFE_INTEGER);
  for (const [key, value] of Object.entries(d.where ?? {})) {
    queryName(key, 'tag');
    if (typeof value !== 'string' || value === '' || BAD_TAG_VALUE.test(value)) {
      throw invalid(`delete filter ${key} must be a non-empty tag value, got ${JSON.stringify(value)}`);
    }
  }
}
