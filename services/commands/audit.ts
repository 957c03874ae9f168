import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';

/**
 * The audit trail: who did what to which object, when, and how it ended. Every command (created,
 * and each status it reaches), every warning acknowledgement, shelve, unshelve and feedback,
 * every credential and key change and every rule edit is one append-only row in
 * `<dataDir>/audit.sqlite`. Rows carry the tenant and plant of their object so each tier reads
 * only its own.
 */
export const AuditEntry = z.object({
  id: z.number().int(),
  at: z.number().describe('epoch ms'),
  actor: z.string().describe('API key id, or "system" (expiry, machine acknowledgements)'),
  actorLabel: z.string(),
  role: z.string(),
  action: z.string().describe('e.g. command.create, command.done, warning.shelve, machine.revoke'),
  targetKind: z.enum(['command', 'warning', 'machine', 'key', 'rule']),
  targetId: z.string(),
  tenant: z.string().nullable(),
  plant: z.string().nullable(),
  outcome: z.string().describe('ok, or the error code / terminal status'),
  details: z.record(z.string(), z.unknown()),
});
export type AuditEntry = z.infer<typeof AuditEntry>;
export type AuditInput = Omit<AuditEntry, 'id' | 'at'> & { at?: number };

const DDL = `
CREATE TABLE IF NOT EXISTS audit (
  id         INTEGER PRIMARY KEY,
  at         INTEGER NOT NULL,
  actor      TEXT NOT NULL,
  actorLabel TEXT NOT NULL,
  role       TEXT NOT NULL,
  action     TEXT NOT NULL,
  targetKind TEXT NOT NULL,
  targetId   TEXT NOT NULL,
  tenant     TEXT,
  plant      TEXT,
  outcome    TEXT NOT NULL,
  details    TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS audit_by_target ON audit (targetKind, targetId);
CREATE INDEX IF NOT EXISTS audit_by_tenant ON audit (tenant, at);`;

export interface AuditFilter {
  tenant?: string;
  plant?: string;
  targetKind?: AuditEntry['targetKind'];
  targetId?: string;
  action?: string;
  limit: number;
  offset: number;
}

export class AuditLog {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;

  static open(dataDir: string, now: () => number = Date.now): AuditLog {
    mkdirSync(dataDir, { recursive: true });
    return new AuditLog(join(dataDir, 'audit.sqlite'), now);
  }

  constructor(
    file: string,
    private readonly now: () => number = Date.now,
  ) {
    this.db = new Database(file, { timeout: 5000 });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(DDL);
    this.insert = this.db.prepare(
      `INSERT INTO audit (at, actor, actorLabel, role, action, targetKind, targetId, tenant, plant, outcome, details)
       VALUES (@at, @actor, @actorLabel, @role, @action, @targetKind, @targetId, @tenant, @plant, @outcome, @details)`,
    );
  }

  record(e: AuditInput): void {
    if (!this.db.open) return;
    this.insert.run({ ...e, at: e.at ?? this.now(), details: JSON.stringify(e.details) });
  }

  list(f: AuditFilter): { items: AuditEntry[]; total: number } {
    const where: string[] = [];
    const params: unknown[] = [];
    for (const key of ['tenant', 'plant', 'targetKind', 'targetId', 'action'] as const) {
      if (f[key] !== undefined) {
        where.push(`${key} = ?`);
        params.push(f[key]);
      }
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = this.db
      .prepare(`SELECT COUNT(*) FROM audit ${clause}`)
      .pluck()
      .get(...params) as number;
    const rows = this.db
      .prepare(`SELECT * FROM audit ${clause} ORDER BY id DESC LIMIT ? OFFSET ?`)
      .all(...params, f.limit, f.offset) as (Omit<AuditEntry, 'details'> & { details: string })[];
    return { items: rows.map((r) => ({ ...r, details: JSON.parse(r.details) })), total };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
