import type Database from 'better-sqlite3';
import { SawBrainError } from '../../core/errors.js';
import type { FieldValue } from '../../core/ports.js';
import { badField, checkName } from '../validate.js';

/**
 * The InfluxDB-like schema of one SQLite database: a table per measurement with TEXT tag columns
 * (missing tag = ''), typed field columns added on demand and `ts` INTEGER epoch ms. Identity is
 * the UNIQUE index over (tags…, ts). The meta table remembers each column's role and kind so
 * booleans (stored 0/1) read back as booleans. Names are validated identifiers, always quoted.
 */
export type FieldKind = 'real' | 'text' | 'bool';

export const META_TABLE = '_sawbrain_columns';

/** A prepared upsert for one field-key shape of one table. */
export interface Shape {
  readonly keys: string[];
  readonly kinds: FieldKind[];
  readonly stmt: Database.Statement;
  /** reused bind array: tags…, ts, fields… */
  readonly params: unknown[];
}

export interface TableInfo {
  readonly name: string;
  /** tag columns in index order */
  readonly tags: string[];
  readonly fields: Map<string, FieldKind>;
  /** lower-cased column names: SQLite names are case-insensitive */
  readonly lower: Map<string, string>;
  shapes: Map<string, Shape>;
  last: Shape | null;
}

export const q = (name: string): string => `"${name.replace(/"/g, '""')}"`;

export function kindOf(value: FieldValue): FieldKind {
  return typeof value === 'number' ? 'real' : typeof value === 'string' ? 'text' : 'bool';
}

const SQL_TYPE: Record<FieldKind, string> = { real: 'REAL', text: 'TEXT', bool: 'INTEGER' };

export class Schema {
  readonly tables = new Map<string, TableInfo>();
  private readonly lowerTables = new Map<string, string>();

  constructor(private readonly db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS ${META_TABLE} (
      measurement TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL, kind TEXT NOT NULL,
      PRIMARY KEY (measurement, name))`);
    this.reload();
  }

  /** Re-reads the meta table (after a rollback or when another process changed the schema). */
  reload(): void {
    this.tables.clear();
    this.lowerTables.clear();
    const rows = this.db
      .prepare(`SELECT measurement, name, role, kind FROM ${META_TABLE} ORDER BY rowid`)
      .all() as { measurement: string; name: string; role: string; kind: FieldKind }[];
    for (const row of rows) {
      const table = this.tables.get(row.measurement) ?? this.register(row.measurement);
      table.lower.set(row.name.toLowerCase(), row.name);
      if (row.role === 'tag') table.tags.push(row.name);
      else table.fields.set(row.name, row.kind);
    }
  }

  private register(name: string): TableInfo {
    const table: TableInfo = {
      name,
      tags: [],
      fields: new Map(),
      lower: new Map(),
      shapes: new Map(),
      last: null,
    };
    this.tables.set(name, table);
    this.lowerTables.set(name.toLowerCase(), name);
    return table;
  }

  /** The table of a measurement, created on demand. */
  table(measurement: string): TableInfo {
    const existing = this.tables.get(measurement);
    if (existing) return existing;
    checkName(measurement, 'measurement');
    const clash = this.lowerTables.get(measurement.toLowerCase());
    if (clash) throw new SawBrainError('STORE_REJECTED', `measurement ${measurement} clashes with ${clash}`);
    const t = q(measurement);
    this.db.exec(`CREATE TABLE IF NOT EXISTS ${t} (ts INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS ${q(`${measurement}#ts`)} ON ${t} (ts);`);
    const table = this.register(measurement);
    this.rebuildIdentity(table);
    return table;
  }

  private claim(table: TableInfo, name: string, what: 'tag' | 'field'): void {
    checkName(name, what);
    const clash = table.lower.get(name.toLowerCase());
    if (clash !== undefined) {
      throw new SawBrainError(
        'STORE_REJECTED',
        `${what} ${name} on ${table.name} clashes with column ${clash}`,
      );
    }
    table.lower.set(name.toLowerCase(), name);
  }

  addTag(table: TableInfo, tag: string): void {
    this.claim(table, tag, 'tag');
    this.db.exec(`ALTER TABLE ${q(table.name)} ADD COLUMN ${q(tag)} TEXT NOT NULL DEFAULT ''`);
    this.db
      .prepare(`INSERT INTO ${META_TABLE} (measurement, name, role, kind) VALUES (?, ?, 'tag', 'text')`)
      .run(table.name, tag);
    table.tags.push(tag);
    this.rebuildIdentity(table);
  }

  addField(table: TableInfo, field: string, kind: FieldKind): void {
    this.claim(table, field, 'field');
    this.db.exec(`ALTER TABLE ${q(table.name)} ADD COLUMN ${q(field)} ${SQL_TYPE[kind]}`);
    this.db
      .prepare(`INSERT INTO ${META_TABLE} (measurement, name, role, kind) VALUES (?, ?, 'field', ?)`)
      .run(table.name, field, kind);
    table.fields.set(field, kind);
  }

  /** The UNIQUE identity index over (tags…, ts); upsert statements depend on it. */
  private rebuildIdentity(table: TableInfo): void {
    const cols = [...table.tags.map(q), 'ts'].join(', ');
    const index = q(`${table.name}#identity`);
    this.db.exec(
      `DROP INDEX IF EXISTS ${index}; CREATE UNIQUE INDEX ${index} ON ${q(table.name)} (${cols});`,
    );
    table.shapes = new Map();
    table.last = null;
  }

  /** The upsert for points of `table` carrying exactly `keys` (in that order) as fields. */
  shape(table: TableInfo, keys: string[], fields: Record<string, FieldValue>): Shape {
    if (keys.length === 0)
      throw new SawBrainError('STORE_REJECTED', `a point of ${table.name} has no fields`);
    const id = keys.join(',');
    const cached = table.shapes.get(id);
    if (cached) return cached;
    const kinds: FieldKind[] = [];
    for (const key of keys) {
      const value = fields[key]!;
      let kind = table.fields.get(key);
      if (kind === undefined) {
        if (!isFieldValue(value)) throw badField(key, value);
        kind = kindOf(value);
        this.addField(table, key, kind);
      }
      kinds.push(kind);
    }
    const tagCols = table.tags.map(q);
    const cols = [...tagCols, 'ts', ...keys.map(q)];
    const updates = keys.map((k) => `${q(k)} = excluded.${q(k)}`).join(', ');
    const conflict = `ON CONFLICT (${[...tagCols, 'ts'].join(', ')}) DO UPDATE SET ${updates}`;
    const sql = `INSERT INTO ${q(table.name)} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')}) ${conflict}`;
    const shape: Shape = { keys, kinds, stmt: this.db.prepare(sql), params: new Array(cols.length) };
    table.shapes.set(id, shape);
    return shape;
  }
}

export function isFieldValue(value: unknown): value is FieldValue {
  return (
    (typeof value === 'number' && Number.isFinite(value)) ||
    typeof value === 'string' ||
    typeof value === 'boolean'
  );
}
