/**
 * The analysis service's durable state (one SQLite file, `<dataDir>/analysis/analysis.sqlite`):
 * warnings with their lifecycle (one open warning per machine and type, enforced by a partial
 * unique index), their history, rule versions, operator feedback and learned baselines.
 */
export const DDL = `
CREATE TABLE IF NOT EXISTS warnings (
  warning_id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  machine TEXT NOT NULL,
  type TEXT NOT NULL,
  state TEXT NOT NULL,
  closed INTEGER NOT NULL,
  raised_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  record TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS warnings_one_open ON warnings (machine, type) WHERE closed = 0;
CREATE INDEX IF NOT EXISTS warnings_machine ON warnings (machine, raised_at);
CREATE TABLE IF NOT EXISTS warning_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  warning_id TEXT NOT NULL,
  ts INTEGER NOT NULL,
  action TEXT NOT NULL,
  state TEXT NOT NULL,
  event TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS warning_events_warning ON warning_events (warning_id, id);
CREATE TABLE IF NOT EXISTS rule_versions (
  rule_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  author TEXT NOT NULL,
  note TEXT,
  seed TEXT NOT NULL,
  PRIMARY KEY (rule_id, version)
);
CREATE TABLE IF NOT EXISTS feedback (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  warning_id TEXT NOT NULL,
  rule TEXT NOT NULL,
  type TEXT NOT NULL,
  verdict TEXT NOT NULL,
  cause TEXT,
  note TEXT,
  author TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_rule ON feedback (rule);
`;
