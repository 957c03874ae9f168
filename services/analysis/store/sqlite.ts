import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { RuleSeed } from '../../seeds/index.js';
import { LifecycleEvent, WarningRecord } from '../lifecycle/record.js';
import { DDL } from './schema.js';

export const FeedbackVerdict = z.enum(['confirmed', 'false-alarm', 'cause-corrected']);
export type FeedbackVerdict = z.infer<typeof FeedbackVerdict>;

export const FeedbackRecord = z.object({
  warningId: z.string(),
  rule: z.string(),
  type: z.string(),
  verdict: FeedbackVerdict,
  cause: z.string().nullable(),
  note: z.string().nullable(),
  author: z.string(),
  at: z.number(),
});
export type FeedbackRecord = z.infer<typeof FeedbackRecord>;

/** Measured quality of one rule version from operator feedback. */
export interface RuleQuality {
  rule: string;
  confirmed: number;
  falseAlarms: number;
  causeCorrected: number;
  /** warnings that were real faults / all judged warnings */
  precision: number;
  /** of the real ones, the share whose top cause was right */
  diagnosisAccuracy: number;
}

export interface WarningFilter {
  machine?: string;
  tenant?: string;
  type?: string;
  open?: boolean;
  limit?: number;
}

/** Warnings, their history, rule versions and feedback in one SQLite file (synchronous, WAL). */
export class AnalysisStore {
  private readonly db: Database.Database;
  private readonly saveTx: (records: readonly WarningRecord[], events: readonly LifecycleEvent[]) => void;

  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(DDL);
    const upsert = this.db.prepare(
      `INSERT INTO warnings (warning_id, tenant, machine, type, state, closed, raised_at, updated_at, record)
       VALUES (@warningId, @tenant, @machine, @type, @state, @closed, @raisedAt, @updatedAt, @record)
       ON CONFLICT(warning_id) DO UPDATE SET state = excluded.state, closed = excluded.closed,
         updated_at = excluded.updated_at, record = excluded.record`,
    );
    const event = this.db.prepare(
      'INSERT INTO warning_events (warning_id, ts, action, state, event) VALUES (?, ?, ?, ?, ?)',
    );
    this.saveTx = this.db.transaction(
      (records: readonly WarningRecord[], events: readonly LifecycleEvent[]) => {
        const seen = new Set<string>();
        for (let i = records.length - 1; i >= 0; i--) {
          const r = records[i]!;
          if (seen.has(r.warningId)) continue;
          seen.add(r.warningId);
          upsert.run({ ...r, closed: r.closedAt === null ? 0 : 1, record: JSON.stringify(r) });
        }
        for (const e of events) event.run(e.warningId, e.ts, e.action, e.state, JSON.stringify(e));
      },
    );
  }

  /** Persists changed records (last version of each wins) and history events in one transaction. */
  save(records: readonly WarningRecord[], events: readonly LifecycleEvent[]): void {
    if (records.length > 0 || events.length > 0) this.saveTx(records, events);
  }

  warnings(f: WarningFilter = {}): WarningRecord[] {
    const rows = this.db
      .prepare(
        `SELECT record FROM warnings WHERE (@machine IS NULL OR machine = @machine) AND (@tenant IS NULL OR tenant = @tenant)
         AND (@type IS NULL OR type = @type) AND (@open IS NULL OR closed = 1 - @open)
         ORDER BY raised_at DESC LIMIT @limit`,
      )
      .pluck()
      .all({
        machine: f.machine ?? null,
        tenant: f.tenant ?? null,
        type: f.type ?? null,
        open: f.open === undefined ? null : f.open ? 1 : 0,
        limit: f.limit ?? 1000,
      }) as string[];
    return rows.map((r) => WarningRecord.parse(JSON.parse(r)));
  }

  warning(id: string): WarningRecord | undefined {
    const row = this.db.prepare('SELECT record FROM warnings WHERE warning_id = ?').pluck().get(id) as
      | string
      | undefined;
    return row ? WarningRecord.parse(JSON.parse(row)) : undefined;
  }

  history(id: string): LifecycleEvent[] {
    const rows = this.db
      .prepare('SELECT event FROM warning_events WHERE warning_id = ? ORDER BY id')
      .pluck()
      .all(id) as string[];
    return rows.map((r) => LifecycleEvent.parse(JSON.parse(r)));
  }

  /** The latest stored version of every edited rule. */
  ruleVersions(): RuleSeed[] {
    const rows = this.db
      .prepare(
        'SELECT seed FROM rule_versions r WHERE version = (SELECT MAX(version) FROM rule_versions WHERE rule_id = r.rule_id)',
      )
      .pluck()
      .all() as string[];
    return rows.map((r) => RuleSeed.parse(JSON.parse(r)));
  }

  ruleHistory(
    ruleId: string,
  ): { version: number; createdAt: number; author: string; note: string | null; rule: RuleSeed }[] {
    const rows = this.db
      .prepare(
        'SELECT version, created_at, author, note, seed FROM rule_versions WHERE rule_id = ? ORDER BY version',
      )
      .all(ruleId) as {
      version: number;
      created_at: number;
      author: string;
      note: string | null;
      seed: string;
    }[];
    return rows.map((r) => ({
      version: r.version,
      createdAt: r.created_at,
      author: r.author,
      note: r.note,
      rule: RuleSeed.parse(JSON.parse(r.seed)),
    }));
  }

  saveRuleVersion(rule: RuleSeed, author: string, note: string | null, at: number): void {
    this.db
      .prepare(
        'INSERT INTO rule_versions (rule_id, version, created_at, author, note, seed) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(rule.id, rule.version, at, author, note, JSON.stringify(rule));
  }

  addFeedback(f: FeedbackRecord): void {
    this.db
      .prepare(
        'INSERT INTO feedback (warning_id, rule, type, verdict, cause, note, author, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(f.warningId, f.rule, f.type, f.verdict, f.cause, f.note, f.author, f.at);
  }

  feedback(warningId?: string): FeedbackRecord[] {
    const rows = this.db
      .prepare(
        'SELECT warning_id AS warningId, rule, type, verdict, cause, note, author, at FROM feedback WHERE (@w IS NULL OR warning_id = @w) ORDER BY id',
      )
      .all({ w: warningId ?? null });
    return rows.map((r) => FeedbackRecord.parse(r));
  }

  /** Precision of each rule version from the feedback given on its warnings. */
  ruleQuality(): RuleQuality[] {
    const rows = this.db
      .prepare('SELECT rule, verdict, COUNT(*) AS n FROM feedback GROUP BY rule, verdict')
      .all() as {
      rule: string;
      verdict: FeedbackVerdict;
      n: number;
    }[];
    const by = new Map<string, RuleQuality>();
    for (const r of rows) {
      const q = by.get(r.rule) ?? {
        rule: r.rule,
        confirmed: 0,
        falseAlarms: 0,
        causeCorrected: 0,
        precision: 0,
        diagnosisAccuracy: 0,
      };
      if (r.verdict === 'confirmed') q.confirmed += r.n;
      else if (r.verdict === 'false-alarm') q.falseAlarms += r.n;
      else q.causeCorrected += r.n;
      by.set(r.rule, q);
    }
    for (const q of by.values()) {
      const real = q.confirmed + q.causeCorrected;
      q.precision = real / Math.max(1, real + q.falseAlarms);
      q.diagnosisAccuracy = q.confirmed / Math.max(1, real);
    }
    return [...by.values()].sort((a, b) => a.rule.localeCompare(b.rule));
  }

  close(): void {
    this.db.close();
  }
}
