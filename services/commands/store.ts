import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { type CommandRecord, type CommandStatus, TERMINAL } from './types.js';

const DDL = `
CREATE TABLE IF NOT EXISTS commands (
  commandId      TEXT PRIMARY KEY,
  groupId        TEXT,
  tenant         TEXT NOT NULL,
  machineId      TEXT NOT NULL,
  plant          TEXT NOT NULL,
  type           TEXT NOT NULL,
  params         TEXT NOT NULL,
  status         TEXT NOT NULL,
  reason         TEXT,
  idempotencyKey TEXT NOT NULL,
  fingerprint    TEXT NOT NULL,
  issuedBy       TEXT NOT NULL,
  issuedByLabel  TEXT NOT NULL,
  createdAt      INTEGER NOT NULL,
  expiresAt      INTEGER NOT NULL,
  sentAt         INTEGER,
  acceptedAt     INTEGER,
  finishedAt     INTEGER,
  UNIQUE (issuedBy, idempotencyKey, machineId)
) STRICT;
CREATE INDEX IF NOT EXISTS commands_by_machine ON commands (machineId, createdAt);
CREATE INDEX IF NOT EXISTS commands_open ON commands (status) WHERE status IN ('pending', 'sent', 'accepted');`;

interface Row extends Omit<CommandRecord, 'params'> {
  params: string;
  fingerprint: string;
}

const toRecord = ({ fingerprint: _f, ...r }: Row): CommandRecord => ({
  ...r,
  params: JSON.parse(r.params) as Record<string, number>,
});

export interface CommandFilter {
  machines?: readonly string[] | null;
  machineId?: string;
  status?: CommandStatus;
  groupId?: string;
  limit: number;
  offset: number;
}

/** Commands in SQLite (`<dataDir>/commands.sqlite`), so their state survives a restart. */
export class CommandStore {
  private readonly db: Database.Database;

  static open(dataDir: string): CommandStore {
    mkdirSync(dataDir, { recursive: true });
    return new CommandStore(join(dataDir, 'commands.sqlite'));
  }

  constructor(file: string) {
    this.db = new Database(file, { timeout: 5000 });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(DDL);
  }

  /** Inserts all or none (a line command's fan-out is one transaction). */
  insert(records: readonly (CommandRecord & { fingerprint: string })[]): void {
    const stmt = this.db.prepare(
      `INSERT INTO commands (commandId, groupId, tenant, machineId, plant, type, params, status, reason,
         idempotencyKey, fingerprint, issuedBy, issuedByLabel, createdAt, expiresAt, sentAt, acceptedAt, finishedAt)
       VALUES (@commandId, @groupId, @tenant, @machineId, @plant, @type, @params, @status, @reason,
         @idempotencyKey, @fingerprint, @issuedBy, @issuedByLabel, @createdAt, @expiresAt, @sentAt, @acceptedAt, @finishedAt)`,
    );
    this.db.transaction(() => {
      for (const r of records) stmt.run({ ...r, params: JSON.stringify(r.params) });
    })();
  }

  /** Commands an earlier request with this key created, with the request's fingerprint. */
  byIdempotencyKey(issuedBy: string, key: string): { records: CommandRecord[]; fingerprint: string | null } {
    const rows = this.db
      .prepare('SELECT * FROM commands WHERE issuedBy = ? AND idempotencyKey = ? ORDER BY machineId')
      .all(issuedBy, key) as Row[];
    return { records: rows.map(toRecord), fingerprint: rows[0]?.fingerprint ?? null };
  }

  get(commandId: string): CommandRecord | null {
    const row = this.db.prepare('SELECT * FROM commands WHERE commandId = ?').get(commandId) as
      | Row
      | undefined;
    return row ? toRecord(row) : null;
  }

  /**
   * Moves a command to `status` unless it is already terminal; returns the updated record, or
   * null when nothing changed (unknown, terminal, or the transition goes backwards).
   */
  transition(
    commandId: string,
    status: CommandStatus,
    at: number,
    reason: string | null,
  ): CommandRecord | null {
    return this.db
      .transaction(() => {
        const current = this.get(commandId);
        if (!current || TERMINAL.has(current.status)) return null;
        if (status === 'sent' && current.status !== 'pending') return null;
        if (status === 'accepted' && current.status === 'accepted') return null;
        const set: Record<string, unknown> = { status, reason: reason ?? current.reason };
        if (status === 'sent') set.sentAt = at;
        if (status === 'accepted') set.acceptedAt = at;
        if (TERMINAL.has(status)) set.finishedAt = at;
        const cols = Object.keys(set)
          .map((k) => `${k} = @${k}`)
          .join(', ');
        this.db
          .prepare(`UPDATE commands SET ${cols} WHERE commandId = @commandId`)
          .run({ ...set, commandId });
        return this.get(commandId);
      })
      .immediate();
  }

  /** Commands not yet terminal (timers are re-armed for them after a restart). */
  open(): CommandRecord[] {
    const rows = this.db
      .prepare("SELECT * FROM commands WHERE status IN ('pending', 'sent', 'accepted') ORDER BY expiresAt")
      .all() as Row[];
    return rows.map(toRecord);
  }

  list(f: CommandFilter): { items: CommandRecord[]; total: number } {
    const where: string[] = [];
    const params: unknown[] = [];
    if (f.machines) {
      if (f.machines.length === 0) return { items: [], total: 0 };
      where.push(`machineId IN (SELECT value FROM json_each(?))`);
      params.push(JSON.stringify(f.machines));
    }
    if (f.machineId) {
      where.push('machineId = ?');
      params.push(f.machineId);
    }
    if (f.status) {
      where.push('status = ?');
      params.push(f.status);
    }
    if (f.groupId) {
      where.push('groupId = ?');
      params.push(f.groupId);
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = this.db
      .prepare(`SELECT COUNT(*) FROM commands ${clause}`)
      .pluck()
      .get(...params) as number;
    const rows = this.db
      .prepare(`SELECT * FROM commands ${clause} ORDER BY createdAt DESC, commandId LIMIT ? OFFSET ?`)
      .all(...params, f.limit, f.offset) as Row[];
    return { items: rows.map(toRecord), total };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
