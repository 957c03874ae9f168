import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

/** One numbered message waiting for its PUBACK. */
export interface OutboxRow {
  id: number;
  machine: string;
  boot: string;
  seq: number;
  kind: string;
  topic: string;
  retain: boolean;
  payload: string;
  bytes: number;
  samples: number;
  created: number;
}

export type NewMessage = Omit<OutboxRow, 'id' | 'bytes'>;

/** Per (machine, boot): what was numbered, and what was dropped unsent. */
export interface BootCounters {
  machine: string;
  boot: string;
  enqueued: number;
  samples: number;
  lastSeq: number;
  dropped: number;
  droppedSamples: number;
}

export interface DropReport {
  messages: number;
  samples: number;
  reason: 'size' | 'age';
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  machine TEXT NOT NULL, boot TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL,
  topic TEXT NOT NULL, retain INTEGER NOT NULL, payload TEXT NOT NULL,
  bytes INTEGER NOT NULL, samples INTEGER NOT NULL, created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS boots (
  machine TEXT NOT NULL, boot TEXT NOT NULL,
  enqueued INTEGER NOT NULL DEFAULT 0, samples INTEGER NOT NULL DEFAULT 0,
  lastSeq INTEGER NOT NULL DEFAULT -1, dropped INTEGER NOT NULL DEFAULT 0,
  droppedSamples INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (machine, boot)
);`;

/** per-row overhead counted on top of topic and payload (row header, index entry) */
const ROW_OVERHEAD = 64;

/**
 * The disk outbox (SQLite, WAL): every numbered message is committed here before it is
 * published and deleted only once the broker acknowledged it (PUBACK). Bounded by bytes and age:
 * when full, the oldest rows not in flight are dropped and counted per (machine, boot).
 * Single writer: one gateway process owns the file.
 */
export class OutboxStore {
  private db: Database.Database | undefined;
  private bytes = 0;
  private rows = 0;
  private stmts!: ReturnType<OutboxStore['prepare']>;

  constructor(
    readonly file: string,
    private readonly o: { maxBytes: number; maxAgeMs: number; synchronous: 'normal' | 'full' },
  ) {}

  open(): void {
    if (this.db) return;
    if (this.file !== ':memory:') mkdirSync(dirname(this.file), { recursive: true });
    const db = new Database(this.file);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${this.o.synchronous.toUpperCase()}`);
    db.exec(SCHEMA);
    this.db = db;
    this.stmts = this.prepare(db);
    const t = db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b FROM outbox').get() as {
      n: number;
      b: number;
    };
    this.rows = t.n;
    this.bytes = t.b;
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
  }

  private prepare(db: Database.Database) {
    return {
      insert: db.prepare(
        `INSERT INTO outbox (machine, boot, seq, kind, topic, retain, payload, bytes, samples, created)
         VALUES (@machine, @boot, @seq, @kind, @topic, @retain, @payload, @bytes, @samples, @created)`,
      ),
      count: db.prepare(
        `INSERT INTO boots (machine, boot, enqueued, samples, lastSeq) VALUES (?, ?, 1, ?, ?)
         ON CONFLICT (machine, boot) DO UPDATE SET enqueued = enqueued + 1,
           samples = samples + excluded.samples, lastSeq = MAX(lastSeq, excluded.lastSeq)`,
      ),
      dropCount: db.prepare(
        'UPDATE boots SET dropped = dropped + 1, droppedSamples = droppedSamples + ? WHERE machine = ? AND boot = ?',
      ),
      remove: db.prepare('DELETE FROM outbox WHERE id = ? RETURNING bytes'),
      oldest: db.prepare('SELECT id, machine, boot, bytes, samples, created FROM outbox ORDER BY id LIMIT ?'),
      page: db.prepare('SELECT * FROM outbox WHERE id > ? AND id <= ? ORDER BY id LIMIT ?'),
      maxId: db.prepare('SELECT COALESCE(MAX(id), 0) FROM outbox').pluck(),
      countUpTo: db.prepare('SELECT COUNT(*) FROM outbox WHERE id <= ?').pluck(),
      minCreated: db.prepare('SELECT created FROM outbox ORDER BY id LIMIT 1').pluck(),
      boots: db.prepare('SELECT * FROM boots ORDER BY machine, rowid'),
    };
  }

  /** Commits one message; returns its row id and what had to be dropped to make room. */
  enqueue(m: NewMessage, inFlight: ReadonlySet<number>): { id: number; dropped: DropReport | null } {
    const db = this.need();
    const bytes = Buffer.byteLength(m.payload) + Buffer.byteLength(m.topic) + ROW_OVERHEAD;
    return db
      .transaction(() => {
        const { lastInsertRowid } = this.stmts.insert.run({ ...m, retain: m.retain ? 1 : 0, bytes });
        this.stmts.count.run(m.machine, m.boot, m.samples, m.seq);
        this.rows++;
        this.bytes += bytes;
        const dropped =
          this.bytes > this.o.maxBytes
            ? this.dropOldest(inFlight, 'size', () => this.bytes <= this.o.maxBytes)
            : null;
        return { id: Number(lastInsertRowid), dropped };
      })
      .immediate();
  }

  /** Deletes an acknowledged message. */
  remove(id: number): void {
    const row = this.stmts.remove.get(id) as { bytes: number } | undefined;
    if (!row) return;
    this.rows--;
    this.bytes -= row.bytes;
  }

  /** Drops rows older than maxAgeMs (not in flight). */
  sweep(now: number, inFlight: ReadonlySet<number>): DropReport | null {
    const db = this.need();
    const limit = now - this.o.maxAgeMs;
    return db
      .transaction(() =>
        this.dropOldest(inFlight, 'age', (created) => created !== undefined && created >= limit),
      )
      .immediate();
  }

  /** Rows with id in (after, upTo], oldest first. */
  page(after: number, upTo: number, limit: number): OutboxRow[] {
    const rows = this.stmts.page.all(after, upTo, limit) as (Omit<OutboxRow, 'retain'> & {
      retain: number;
    })[];
    return rows.map((r) => ({ ...r, retain: r.retain === 1 }));
  }

  maxId(): number {
    return this.stmts.maxId.get() as number;
  }

  /** rows with id ≤ `id` (the backlog still to send) */
  countUpTo(id: number): number {
    return this.stmts.countUpTo.get(id) as number;
  }

  oldestCreated(): number | undefined {
    return (this.stmts.minCreated.get() as number | undefined) ?? undefined;
  }

  boots(): BootCounters[] {
    return this.stmts.boots.all() as BootCounters[];
  }

  get depth(): number {
    return this.rows;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  private need(): Database.Database {
    if (!this.db) throw new Error('outbox not open');
    return this.db;
  }

  /** Deletes oldest rows (skipping those in flight) until `enough` says so; inside a transaction. */
  private dropOldest(
    inFlight: ReadonlySet<number>,
    reason: DropReport['reason'],
    enough: (oldestCreated: number | undefined) => boolean,
  ): DropReport | null {
    const report: DropReport = { messages: 0, samples: 0, reason };
    let batch = 64;
    for (;;) {
      const rows = this.stmts.oldest.all(batch + inFlight.size) as Pick<
        OutboxRow,
        'id' | 'machine' | 'boot' | 'bytes' | 'samples' | 'created'
      >[];
      const candidates = rows.filter((r) => !inFlight.has(r.id));
      if (candidates.length === 0) break;
      let done = false;
      for (const r of candidates) {
        if (reason === 'size' ? enough(undefined) : enough(r.created)) {
          done = true;
          break;
        }
        this.stmts.remove.get(r.id);
        this.stmts.dropCount.run(r.samples, r.machine, r.boot);
        this.rows--;
        this.bytes -= r.bytes;
        report.messages++;
        report.samples += r.samples;
      }
      if (done || rows.length < batch + inFlight.size) break;
      batch *= 2;
    }
    return report.messages > 0 ? report : null;
  }
}
