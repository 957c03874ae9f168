import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Cursor } from './journal.js';
import { BOOTS_PER_MACHINE, type BootState } from './sequence.js';

/** Why a message was set aside instead of stored. */
export type DeadLetterReason = 'not-json' | 'schema' | 'topic' | 'store-rejected';

export interface DeadLetterInput {
  /** journal position of the record: makes a dead letter exactly-once across replays */
  pos: string;
  receivedAt: number;
  topic: string;
  reason: DeadLetterReason;
  message: string;
  payload: Buffer;
}

export interface DeadLetter extends Omit<DeadLetterInput, 'payload'> {
  id: number;
  payload: string;
}

const MAX_PAYLOAD_CHARS = 64 * 1024;

/**
 * The ingest service's own durable state, in one SQLite file: the journal cursor, the per-machine
 * `(bootId, seq)` positions and the dead letters. They change together in one transaction per
 * flushed batch, so after a crash the replay from the cursor derives exactly the same events.
 */
export class IngestState {
  private readonly db: Database.Database;
  private readonly commitTx: (cursor: Cursor, seq: readonly BootState[], dead: DeadLetterInput[]) => void;
  private readonly maxDeadLetters: number;
  /** recency stamp for boots: grows with every commit */
  private useCounter: number;

  constructor(path: string, maxDeadLetters = 100_000) {
    mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS cursor (id INTEGER PRIMARY KEY CHECK (id = 1), segment INTEGER NOT NULL, offset INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS seq_boots (machine TEXT NOT NULL, boot_id TEXT NOT NULL, max_seq INTEGER NOT NULL,
        missing INTEGER NOT NULL, used INTEGER NOT NULL, PRIMARY KEY (machine, boot_id));
      CREATE TABLE IF NOT EXISTS dead_letter (
        id INTEGER PRIMARY KEY AUTOINCREMENT, pos TEXT UNIQUE NOT NULL, received_at INTEGER NOT NULL,
        topic TEXT NOT NULL, reason TEXT NOT NULL, message TEXT NOT NULL, payload TEXT NOT NULL);
    `);
    this.maxDeadLetters = maxDeadLetters;
    this.useCounter =
      ((this.db.prepare('SELECT MAX(used) AS u FROM seq_boots').get() as { u: number | null }).u ?? 0) + 1;
    const setCursor = this.db.prepare(
      'INSERT INTO cursor (id, segment, offset) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET segment = excluded.segment, offset = excluded.offset',
    );
    const setSeq = this.db.prepare(
      'INSERT INTO seq_boots (machine, boot_id, max_seq, missing, used) VALUES (?, ?, ?, ?, ?) ON CONFLICT(machine, boot_id) DO UPDATE SET max_seq = excluded.max_seq, missing = excluded.missing, used = excluded.used',
    );
    const pruneBoots = this.db.prepare(
      'DELETE FROM seq_boots WHERE machine = ? AND boot_id NOT IN (SELECT boot_id FROM seq_boots WHERE machine = ? ORDER BY used DESC LIMIT ?)',
    );
    const addDead = this.db.prepare(
      'INSERT OR IGNORE INTO dead_letter (pos, received_at, topic, reason, message, payload) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const trim = this.db.prepare('DELETE FROM dead_letter WHERE id <= (SELECT MAX(id) FROM dead_letter) - ?');
    this.commitTx = this.db.transaction(
      (cursor: Cursor, seq: readonly BootState[], dead: DeadLetterInput[]) => {
        setCursor.run(cursor.segment, cursor.offset);
        const machines = new Set<string>();
        for (const [i, b] of seq.entries()) {
          setSeq.run(b.machine, b.bootId, b.maxSeq, b.missing, this.useCounter + i);
          machines.add(b.machine);
        }
        this.useCounter += seq.length;
        for (const m of machines) pruneBoots.run(m, m, BOOTS_PER_MACHINE);
        for (const d of dead) {
          const text = d.payload.toString('utf8', 0, Math.min(d.payload.length, MAX_PAYLOAD_CHARS));
          addDead.run(d.pos, d.receivedAt, d.topic.slice(0, 1024), d.reason, d.message.slice(0, 2000), text);
        }
        if (dead.length > 0) trim.run(this.maxDeadLetters);
      },
    );
  }

  cursor(): Cursor | null {
    const row = this.db.prepare('SELECT segment, offset FROM cursor WHERE id = 1').get() as
      | Cursor
      | undefined;
    return row ?? null;
  }

  /** Persisted boots, least recently used first (the order SequenceTracker.restore wants). */
  seqSnapshot(): BootState[] {
    const rows = this.db
      .prepare('SELECT machine, boot_id, max_seq, missing FROM seq_boots ORDER BY used')
      .all() as {
      machine: string;
      boot_id: string;
      max_seq: number;
      missing: number;
    }[];
    return rows.map((r) => ({
      machine: r.machine,
      bootId: r.boot_id,
      maxSeq: r.max_seq,
      missing: r.missing,
    }));
  }

  commit(cursor: Cursor, seq: readonly BootState[], dead: DeadLetterInput[]): void {
    this.commitTx(cursor, seq, dead);
  }

  deadLetters(limit = 100, reason?: DeadLetterReason): DeadLetter[] {
    const sql = `SELECT id, pos, received_at, topic, reason, message, payload FROM dead_letter ${reason ? 'WHERE reason = ?' : ''} ORDER BY id DESC LIMIT ?`;
    const rows = (
      reason ? this.db.prepare(sql).all(reason, limit) : this.db.prepare(sql).all(limit)
    ) as Record<string, unknown>[];
    return rows.map((r) => ({
      id: r.id as number,
      pos: r.pos as string,
      receivedAt: r.received_at as number,
      topic: r.topic as string,
      reason: r.reason as DeadLetterReason,
      message: r.message as string,
      payload: r.payload as string,
    }));
  }

  deadLetterCount(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM dead_letter').get() as { n: number }).n;
  }

  close(): void {
    this.db.close();
  }
}
