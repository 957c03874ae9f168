/**
 * Registry schema (SQLite, STRICT tables). `meta.revision` is bumped by every change; each change
 * is also logged in `changes` under the revision it produced, so pollers can fetch what changed.
 */
export const SCHEMA_VERSION = 1;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS machines (
  machineId TEXT PRIMARY KEY,
  tenant    TEXT NOT NULL,
  plant     TEXT NOT NULL,
  site      TEXT NOT NULL,
  region    TEXT NOT NULL,
  industry  TEXT NOT NULL,
  model     TEXT NOT NULL,
  serial    TEXT NOT NULL,
  createdAt INTEGER NOT NULL,
  revokedAt INTEGER
) STRICT;
CREATE INDEX IF NOT EXISTS machines_by_tenant_plant ON machines (tenant, plant);

CREATE TABLE IF NOT EXISTS principals (
  username     TEXT PRIMARY KEY,
  kind         TEXT NOT NULL CHECK (kind IN ('machine', 'gateway', 'service')),
  tenant       TEXT,
  machineId    TEXT REFERENCES machines (machineId),
  machines     TEXT NOT NULL DEFAULT '[]',
  scopes       TEXT NOT NULL DEFAULT '[]',
  passwordHash TEXT NOT NULL CHECK (passwordHash LIKE 'scrypt$%'),
  createdAt    INTEGER NOT NULL,
  rotatedAt    INTEGER,
  revokedAt    INTEGER
) STRICT;

CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) STRICT;
INSERT OR IGNORE INTO meta (key, value) VALUES ('revision', 0);

CREATE TABLE IF NOT EXISTS changes (
  rev      INTEGER PRIMARY KEY,
  username TEXT NOT NULL,
  action   TEXT NOT NULL CHECK (action IN ('add', 'rotate', 'revoke', 'rights')),
  at       INTEGER NOT NULL
) STRICT;
`;
