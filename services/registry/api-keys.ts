import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { TenantId } from '../contracts/ids.js';
import { formatIssues } from '../contracts/validate.js';
import { SawBrainError } from '../core/errors.js';
import { type Clock, systemClock } from '../core/ports.js';

/**
 * API keys of the HTTP API: who calls, at which tier. A key is `sbk_` + 32 random bytes
 * (base64url), shown once; only its SHA-256 is stored. (A slow hash protects guessable human
 * passwords; a 256-bit random secret cannot be guessed, so a fast hash is as safe and lets every
 * request be checked with one indexed read.) Keys live in `<dataDir>/api-keys.sqlite`, shared by
 * the API process and the `sawbrain key` CLI; a revocation is seen by the next request.
 */
export const API_ROLES = ['admin', 'manufacturer', 'plant', 'innovation'] as const;
export const ApiRole = z.enum(API_ROLES);
export type ApiRole = z.infer<typeof ApiRole>;

export const API_KEYS_FILE = 'api-keys.sqlite';
export const KEY_PREFIX = 'sbk_';

/** Plant ids share the slug alphabet of the demo fleet (`ningbo-autoparts`). */
export const PlantId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[^\p{Cc}/]+$/u, 'plant id: no control characters or "/"')
  .describe('Plant id as registered with its machines (e.g. "ningbo-autoparts")');

export const NewApiKey = z
  .strictObject({
    role: ApiRole,
    tenant: TenantId.optional().describe('manufacturer keys: the tenant they see'),
    plant: PlantId.optional().describe('plant keys: the plant they see'),
    label: z.string().trim().min(1).max(128).describe('who holds the key'),
  })
  .superRefine((k, ctx) => {
    if (k.role === 'manufacturer' && !k.tenant)
      ctx.addIssue({ code: 'custom', path: ['tenant'], message: 'a manufacturer key needs a tenant' });
    if (k.role === 'plant' && !k.plant)
      ctx.addIssue({ code: 'custom', path: ['plant'], message: 'a plant key needs a plant' });
    if (k.role !== 'manufacturer' && k.tenant)
      ctx.addIssue({ code: 'custom', path: ['tenant'], message: 'only manufacturer keys carry a tenant' });
    if (k.role !== 'plant' && k.plant)
      ctx.addIssue({ code: 'custom', path: ['plant'], message: 'only plant keys carry a plant' });
  });
export type NewApiKey = z.input<typeof NewApiKey>;

/** The identity behind a request. */
export interface ApiIdentity {
  keyId: string;
  role: ApiRole;
  tenant: string | null;
  plant: string | null;
  label: string;
}

export interface ApiKeyRecord extends ApiIdentity {
  createdAt: number;
  createdBy: string | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS api_keys (
  keyId      TEXT PRIMARY KEY,
  hash       TEXT NOT NULL UNIQUE,
  role       TEXT NOT NULL CHECK (role IN ('admin', 'manufacturer', 'plant', 'innovation')),
  tenant     TEXT,
  plant      TEXT,
  label      TEXT NOT NULL,
  createdAt  INTEGER NOT NULL,
  createdBy  TEXT,
  revokedAt  INTEGER,
  lastUsedAt INTEGER
) STRICT;`;

const sha256 = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');

export class ApiKeyStore {
  private readonly db: Database.Database;
  private readonly clock: Clock;
  private readonly touch: Database.Statement;

  static open(dataDir: string, clock?: Clock): ApiKeyStore {
    mkdirSync(dataDir, { recursive: true });
    return new ApiKeyStore(join(dataDir, API_KEYS_FILE), clock);
  }

  constructor(file: string, clock: Clock = systemClock) {
    const isNew = file !== ':memory:' && !existsSync(file);
    this.db = new Database(file, { timeout: 5000 });
    if (isNew) chmodSync(file, 0o600);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
    this.clock = clock;
    this.touch = this.db.prepare('UPDATE api_keys SET lastUsedAt = ? WHERE keyId = ?');
  }

  /** Creates a key; the secret is returned once. `secret` imports a given one (≥ 32 characters). */
  create(input: NewApiKey, createdBy: string | null = null, secret?: string): { key: string } & ApiKeyRecord {
    const parsed = NewApiKey.safeParse(input);
    if (!parsed.success) throw new SawBrainError('REQUEST_INVALID', formatIssues(parsed.error.issues));
    if (secret !== undefined && secret.length < 32)
      throw new SawBrainError('CONFIG_INVALID', 'an imported API key needs at least 32 characters');
    const key = secret ?? `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
    const k = parsed.data;
    const record: ApiKeyRecord = {
      keyId: `k_${randomBytes(6).toString('hex')}`,
      role: k.role,
      tenant: k.tenant ?? null,
      plant: k.plant ?? null,
      label: k.label,
      createdAt: this.clock.now(),
      createdBy,
      revokedAt: null,
      lastUsedAt: null,
    };
    try {
      this.db
        .prepare(
          `INSERT INTO api_keys (keyId, hash, role, tenant, plant, label, createdAt, createdBy)
           VALUES (@keyId, @hash, @role, @tenant, @plant, @label, @createdAt, @createdBy)`,
        )
        .run({ ...record, hash: sha256(key) });
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE')
        throw new SawBrainError('CONFLICT', 'this key already exists');
      throw err;
    }
    return { key, ...record };
  }

  /** The active identity of a presented key, or null. */
  verify(key: string): ApiIdentity | null {
    if (typeof key !== 'string' || key.length < 32 || key.length > 256) return null;
    const row = this.db
      .prepare('SELECT * FROM api_keys WHERE hash = ? AND revokedAt IS NULL')
      .get(sha256(key)) as (ApiKeyRecord & { hash: string }) | undefined;
    if (!row) return null;
    this.touch.run(this.clock.now(), row.keyId);
    return { keyId: row.keyId, role: row.role, tenant: row.tenant, plant: row.plant, label: row.label };
  }

  /** Whether a key with this exact secret exists (active or not). */
  has(key: string): boolean {
    return this.db.prepare('SELECT 1 FROM api_keys WHERE hash = ?').get(sha256(key)) !== undefined;
  }

  get(keyId: string): ApiKeyRecord | null {
    const row = this.db
      .prepare(
        'SELECT keyId, role, tenant, plant, label, createdAt, createdBy, revokedAt, lastUsedAt FROM api_keys WHERE keyId = ?',
      )
      .get(keyId) as ApiKeyRecord | undefined;
    return row ?? null;
  }

  list(filter: { role?: ApiRole; includeRevoked?: boolean } = {}): ApiKeyRecord[] {
    return this.db
      .prepare(
        `SELECT keyId, role, tenant, plant, label, createdAt, createdBy, revokedAt, lastUsedAt FROM api_keys
         WHERE (@role IS NULL OR role = @role) AND (@all = 1 OR revokedAt IS NULL) ORDER BY createdAt, keyId`,
      )
      .all({ role: filter.role ?? null, all: filter.includeRevoked === false ? 0 : 1 }) as ApiKeyRecord[];
  }

  /** Revokes a key at once (the next request with it is refused). false if it was already revoked. */
  revoke(keyId: string): boolean {
    const row = this.get(keyId);
    if (!row) throw new SawBrainError('NOT_FOUND', `no API key ${keyId}`);
    if (row.revokedAt !== null) return false;
    this.db.prepare('UPDATE api_keys SET revokedAt = ? WHERE keyId = ?').run(this.clock.now(), keyId);
    return true;
  }

  activeAdmins(): number {
    return this.db
      .prepare("SELECT COUNT(*) FROM api_keys WHERE role = 'admin' AND revokedAt IS NULL")
      .pluck()
      .get() as number;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
