import { join } from 'node:path';
import Database from 'better-sqlite3';
import { OUTBOX_FILE } from '../../../edge/gateway.js';
import type { BootCounters } from '../../../edge/outbox/store.js';

/** What a (stopped) gateway's outbox file says: counters per (machine, boot) and rows left unsent. */
export function readOutboxFile(dataDir: string): { boots: BootCounters[]; left: number } {
  const db = new Database(join(dataDir, OUTBOX_FILE), { readonly: true });
  try {
    const boots = db.prepare('SELECT * FROM boots ORDER BY rowid').all() as BootCounters[];
    const left = db.prepare('SELECT COUNT(*) FROM outbox').pluck().get() as number;
    return { boots, left };
  } finally {
    db.close();
  }
}
