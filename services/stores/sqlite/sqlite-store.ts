import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { isSawBrainError, SawBrainError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import {
  DATABASES,
  type DatabaseName,
  type DeleteQuery,
  type DeleteResult,
  type Point,
  type SeriesQuery,
  type SeriesRow,
  type StoreBatch,
  type TelemetryStore,
} from '../../core/ports.js';
import { pointBatch } from '../point-batch.js';
import { badField, checkDelete, checkQuery, checkTagValue, checkTs } from '../validate.js';
import { runQuery } from './sqlite-query.js';
import { type FieldKind, isFieldValue, q, Schema, type Shape, type TableInfo } from './sqlite-schema.js';

/**
 * The embedded TelemetryStore: one SQLite file per logical database (`<dir>/<name>.sqlite`, WAL,
 * synchronous=NORMAL) with InfluxDB semantics (see sqlite-schema.ts). `write()` is the ingest hot
 * path: per database one transaction, cached upsert statements per (measurement, field shape),
 * a reused bind array per statement and no per-point allocations for points sharing a shape.
 */
interface Handle {
  readonly db: Database.Database;
  readonly schema: Schema;
  readonly writeTx: (points: readonly Point[]) => void;
}

/** Rows deleted per statement (one short transaction each); the event loop runs in between. */
export const DELETE_CHUNK = 5000;

const DB_BIT = new Map<string, number>(DATABASES.map((name, i) => [name, 1 << i]));
/** SQLite result codes that mean "this data cannot be stored" rather than "the store is broken". */
const DATA_ERRORS = /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/;

function fieldError(p: Point, key: string, kind: FieldKind | undefined, value: unknown): SawBrainError {
  if (!isFieldValue(value)) return badField(key, value);
  return new SawBrainError(
    'STORE_REJECTED',
    `field type conflict: ${p.measurement}.${key} is ${kind}, got ${typeof value}`,
  );
}

/**
 * Binds the fields of `p` into `shape.params` from `offset` on; false when the point's field keys
 * are not exactly the shape's (then nothing is written). One for-in pass: V8 serves `fields[key]`
 * from the enum cache, the cheapest way to read 15 fields of an object per point.
 */
function bindFields(shape: Shape, p: Point, offset: number): boolean {
  const { params, keys, kinds } = shape;
  const fields = p.fields;
  let k = 0;
  for (const key in fields) {
    if (keys[k] !== key) return false;
    const value = fields[key];
    const kind = kinds[k];
    if (kind === 'real' && typeof value === 'number' && Number.isFinite(value)) params[offset + k] = value;
    else if (kind === 'text' && typeof value === 'string') params[offset + k] = value;
    else if (kind === 'bool' && typeof value === 'boolean') params[offset + k] = value ? 1 : 0;
    else throw fieldError(p, key, kind, value);
    k++;
  }
  return k === keys.length;
}

function writePoints(schema: Schema, points: readonly Point[], name: DatabaseName): void {
  let table: TableInfo | null = null;
  let lastTags: Record<string, string> | null = null;
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    if (p.db !== name) continue;
    if (table === null || p.measurement !== table.name) {
      table = schema.table(p.measurement);
      lastTags = null;
    }
    const tags = p.tags;
    if (tags !== lastTags) {
      for (const key in tags) {
        const value = tags[key];
        checkTagValue(key, value);
        if (value !== '' && !table.tags.includes(key)) schema.addTag(table, key);
      }
      lastTags = tags;
    }
    const tagCols = table.tags;
    const offset = tagCols.length + 1;
    let shape = table.last;
    if (shape === null || !bindFields(shape, p, offset)) {
      shape = schema.shape(table, Object.keys(p.fields), p.fields);
      table.last = shape;
      bindFields(shape, p, offset);
    }
    const params = shape.params;
    for (let j = 0; j < tagCols.length; j++) params[j] = tags[tagCols[j]!] ?? '';
    checkTs(p.ts);
    params[offset - 1] = p.ts;
    shape.stmt.run(params);
  }
}

export class SqliteStore implements TelemetryStore {
  readonly kind = 'sqlite' as const;
  private readonly handles = new Map<DatabaseName, Handle>();
  private stopped = false;
  private readonly log: Logger;

  constructor(private readonly opts: { dir: string; logger: Logger }) {
    this.log = opts.logger.child({ svc: 'sqlite-store' });
  }

  async start(): Promise<void> {
    for (const name of DATABASES) this.handle(name);
    this.log.info({ dir: this.opts.dir }, 'sqlite telemetry store ready');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const h of this.handles.values()) h.db.close();
    this.handles.clear();
  }

  async ping(): Promise<boolean> {
    return !this.stopped;
  }

  private handle(name: DatabaseName): Handle {
    const existing = this.handles.get(name);
    if (existing) return existing;
    if (this.stopped) throw new SawBrainError('STORE_UNAVAILABLE', 'the sqlite store is stopped');
    try {
      mkdirSync(this.opts.dir, { recursive: true });
      const db = new Database(join(this.opts.dir, `${name}.sqlite`));
      db.pragma('page_size = 16384'); // only takes effect for a new file
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      db.pragma('cache_size = -65536');
      db.pragma('temp_store = MEMORY');
      const schema = new Schema(db);
      const writeTx = db.transaction((points: readonly Point[]) => writePoints(schema, points, name));
      const handle: Handle = { db, schema, writeTx };
      this.handles.set(name, handle);
      return handle;
    } catch (err) {
      throw new SawBrainError('STORE_UNAVAILABLE', `cannot open ${name}.sqlite: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /** Holds the points; SQLite writes them in one transaction per database when asked. */
  batch(): StoreBatch {
    return pointBatch((points) => this.write(points));
  }

  async write(points: readonly Point[]): Promise<void> {
    let mask = 0;
    for (let i = 0; i < points.length; i++) {
      const bit = DB_BIT.get(points[i]!.db);
      if (bit === undefined) {
        throw new SawBrainError('STORE_REJECTED', `unknown database ${JSON.stringify(points[i]!.db)}`);
      }
      mask |= bit;
    }
    for (const name of DATABASES) {
      if (mask & DB_BIT.get(name)!) this.writeDb(this.handle(name), points, name);
    }
  }

  private writeDb(h: Handle, points: readonly Point[], name: DatabaseName, attempt = 1): void {
    try {
      h.writeTx(points);
    } catch (err) {
      // a rolled-back transaction may have rolled back schema changes too: re-read the truth
      h.schema.reload();
      if (isSawBrainError(err)) throw err;
      const code = String((err as { code?: unknown }).code ?? '');
      if (err instanceof TypeError || DATA_ERRORS.test(code)) {
        throw new SawBrainError('STORE_REJECTED', (err as Error).message, { cause: err });
      }
      // another process may have changed the schema under our cached statements: retry once
      if (attempt === 1 && code.startsWith('SQLITE_')) {
        this.log.warn({ err, db: name }, 'sqlite write failed, retrying with a fresh schema');
        this.writeDb(h, points, name, 2);
        return;
      }
      throw new SawBrainError('STORE_UNAVAILABLE', `${name}.sqlite: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  async query(q: SeriesQuery): Promise<SeriesRow[]> {
    checkQuery(q);
    const h = this.handle(q.db);
    try {
      return runQuery(h.db, h.schema, q);
    } catch (err) {
      if (isSawBrainError(err)) throw err;
      throw new SawBrainError('STORE_UNAVAILABLE', `${q.db}.sqlite: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /**
   * Deletes in chunks of DELETE_CHUNK rows, each its own short transaction picked through the
   * `ts` index (or the identity index when the filter's tags lead it), and yields to the event
   * loop between chunks: ingest's writes (same process) and other processes' (WAL) go in between,
   * so a large backlog never stalls them. Freed pages are reused by new rows; the file does not
   * shrink (no VACUUM).
   */
  async deleteBefore(d: DeleteQuery): Promise<DeleteResult> {
    checkDelete(d);
    const h = this.handle(d.db);
    const table = h.schema.tables.get(d.measurement);
    if (!table) return { supported: true, deleted: 0 };
    const where = ['ts < ?'];
    const params: unknown[] = [d.before];
    for (const [key, value] of Object.entries(d.where ?? {})) {
      if (!table.tags.includes(key)) return { supported: true, deleted: 0 }; // no such tag: nothing matches
      where.push(`${q(key)} = ?`);
      params.push(value);
    }
    const t = q(table.name);
    const sql = `DELETE FROM ${t} WHERE rowid IN (SELECT rowid FROM ${t} WHERE ${where.join(' AND ')} LIMIT ${DELETE_CHUNK})`;
    let deleted = 0;
    try {
      const stmt = h.db.prepare(sql);
      for (;;) {
        if (this.stopped) break;
        const n = stmt.run(...params).changes;
        deleted += n;
        if (n < DELETE_CHUNK) break;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } catch (err) {
      throw new SawBrainError('STORE_UNAVAILABLE', `${d.db}.sqlite: ${(err as Error).message}`, {
        cause: err,
      });
    }
    return { supported: true, deleted };
  }
}
