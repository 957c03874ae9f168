import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { formatIssues } from '../contracts/validate.js';
import { SawBrainError } from '../core/errors.js';
import { type Clock, systemClock } from '../core/ports.js';
import {
  DEFAULT_SCRYPT,
  generatePassword,
  hashPassword,
  type ScryptParams,
  verifyPassword,
} from './password.js';
import { SCHEMA_SQL, SCHEMA_VERSION } from './schema.js';
import {
  AddGatewayInput,
  AddMachineInput,
  AddServiceInput,
  type ChangeAction,
  type Credentials,
  type Machine,
  type Principal,
  type PrincipalKind,
  type PrincipalRecord,
  type RegistryChange,
  type ServiceScope,
} from './types.js';

export const REGISTRY_FILE = 'registry.sqlite';
/** shortest secret accepted by setPassword */
const MIN_SET_PASSWORD = 16;

export interface RegistryOptions {
  /** scrypt cost for new hashes (stored hashes carry their own parameters) */
  scrypt?: ScryptParams;
  clock?: Clock;
}

interface MachineRow extends Machine {}

interface PrincipalRow {
  username: string;
  kind: PrincipalKind;
  tenant: string | null;
  machineId: string | null;
  machines: string;
  scopes: string;
  passwordHash: string;
  createdAt: number;
  rotatedAt: number | null;
  revokedAt: number | null;
}

function invalid(error: { issues: Parameters<typeof formatIssues>[0] }): SawBrainError {
  return new SawBrainError('QUERY_INVALID', formatIssues(error.issues));
}

function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/**
 * The machine registry: which machines exist, who may connect to the broker as whom, with what
 * rights. One SQLite file (WAL) shared by every process of an installation; each change bumps a
 * monotonic revision and is written to a change log so other processes (the broker) can notice
 * rotations and revocations by polling `revision()`.
 */
export class MachineRegistry {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly params: ScryptParams;
  private readonly clock: Clock;
  private dummyHash: Promise<string> | null = null;

  /** Opens (creating if needed) `<dataDir>/registry.sqlite`. */
  static open(dataDir: string, options: RegistryOptions = {}): MachineRegistry {
    mkdirSync(dataDir, { recursive: true });
    return new MachineRegistry(join(dataDir, REGISTRY_FILE), options);
  }

  constructor(file: string, options: RegistryOptions = {}) {
    this.file = file;
    this.params = options.scrypt ?? DEFAULT_SCRYPT;
    this.clock = options.clock ?? systemClock;
    const isNew = file !== ':memory:' && !existsSync(file);
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file, { timeout: 5000 });
    if (isNew) chmodSync(file, 0o600);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      this.db.close();
      throw new SawBrainError(
        'CONFIG_INVALID',
        `${file} has registry schema ${version}, newer than this build`,
      );
    }
    this.db.exec(SCHEMA_SQL);
    this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }

  // ---------------------------------------------------------------- machines

  /** Provisions a machine and its credentials (username = machine id). The password is returned once. */
  async addMachine(input: AddMachineInput): Promise<{ machine: Machine } & Credentials> {
    const parsed = AddMachineInput.safeParse(input);
    if (!parsed.success) throw invalid(parsed.error);
    const m = parsed.data;
    this.assertUsernameFree(m.machineId);
    const password = generatePassword();
    const hash = await hashPassword(password, this.params);
    const now = this.clock.now();
    const machine: Machine = { ...m, createdAt: now, revokedAt: null };
    try {
      this.db
        .transaction(() => {
          this.db
            .prepare(
              `INSERT INTO machines (machineId, tenant, plant, site, region, industry, model, serial, createdAt)
               VALUES (@machineId, @tenant, @plant, @site, @region, @industry, @model, @serial, @createdAt)`,
            )
            .run(machine);
          this.insertPrincipal({
            username: m.machineId,
            kind: 'machine',
            tenant: m.tenant,
            machineId: m.machineId,
            machines: [],
            scopes: [],
            hash,
            now,
          });
        })
        .immediate();
    } catch (err) {
      if (isUniqueViolation(err)) throw new SawBrainError('MACHINE_EXISTS', m.machineId);
      throw err;
    }
    return { machine, username: m.machineId, password };
  }

  get(machineId: string): Machine | null {
    const row = this.db.prepare('SELECT * FROM machines WHERE machineId = ?').get(machineId) as
      | MachineRow
      | undefined;
    return row ? { ...row } : null;
  }

  list(filter: { tenant?: string; plant?: string; includeRevoked?: boolean } = {}): Machine[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM machines
         WHERE (@tenant IS NULL OR tenant = @tenant) AND (@plant IS NULL OR plant = @plant)
           AND (@all = 1 OR revokedAt IS NULL)
         ORDER BY tenant, machineId`,
      )
      .all({
        tenant: filter.tenant ?? null,
        plant: filter.plant ?? null,
        all: filter.includeRevoked === false ? 0 : 1,
      }) as MachineRow[];
    return rows.map((r) => ({ ...r }));
  }

  /** New password for a machine; the old one stops working and live sessions are dropped by the broker. */
  async rotate(machineId: string): Promise<string> {
    if (!this.get(machineId)) throw new SawBrainError('MACHINE_NOT_FOUND', machineId);
    return this.rotatePrincipal(machineId);
  }

  /** Revokes a machine (terminal). Gateways speaking for it lose it too. false if already revoked. */
  revoke(machineId: string): boolean {
    if (!this.get(machineId)) throw new SawBrainError('MACHINE_NOT_FOUND', machineId);
    return this.revokePrincipal(machineId);
  }

  // -------------------------------------------------------------- principals

  /** A gateway that may speak for the listed (active) machines of one tenant. */
  async addGateway(
    id: string,
    tenant: string,
    machineIds: readonly string[],
  ): Promise<{ principal: PrincipalRecord } & Credentials> {
    const parsed = AddGatewayInput.safeParse({ id, tenant, machineIds: [...machineIds] });
    if (!parsed.success) throw invalid(parsed.error);
    const machines = [...new Set(parsed.data.machineIds)];
    const bad = machines.filter((m) => {
      const machine = this.get(m);
      return !machine || machine.tenant !== tenant || machine.revokedAt !== null;
    });
    if (bad.length > 0)
      throw new SawBrainError(
        'MACHINE_NOT_FOUND',
        `no active machine of tenant ${tenant}: ${bad.join(', ')}`,
      );
    return this.addPrincipal({
      username: id,
      kind: 'gateway',
      tenant,
      machineId: null,
      machines,
      scopes: [],
    });
  }

  /** A backend service (ingest, analysis, commander, admin tools). */
  async addService(
    name: string,
    scopes: readonly ServiceScope[],
  ): Promise<{ principal: PrincipalRecord } & Credentials> {
    const parsed = AddServiceInput.safeParse({ name, scopes: [...scopes] });
    if (!parsed.success) throw invalid(parsed.error);
    return this.addPrincipal({
      username: name,
      kind: 'service',
      tenant: null,
      machineId: null,
      machines: [],
      scopes: [...new Set(parsed.data.scopes)],
    });
  }

  getPrincipal(username: string): PrincipalRecord | null {
    const row = this.principalRow(username);
    return row ? toRecord(row) : null;
  }

  listPrincipals(kind?: PrincipalKind): PrincipalRecord[] {
    const rows = this.db
      .prepare('SELECT * FROM principals WHERE (@kind IS NULL OR kind = @kind) ORDER BY kind, username')
      .all({ kind: kind ?? null }) as PrincipalRow[];
    return rows.map(toRecord);
  }

  /** New password for any principal. */
  async rotatePrincipal(username: string): Promise<string> {
    this.assertActive(username);
    const password = generatePassword();
    this.storeHash(username, await hashPassword(password, this.params));
    return password;
  }

  /**
   * Sets a given secret (e.g. one handed to both sides by docker compose) instead of a generated
   * one. Live sessions authenticated before are dropped like on a rotation. At least 16 characters.
   */
  async setPassword(username: string, password: string): Promise<void> {
    if (typeof password !== 'string' || password.length < MIN_SET_PASSWORD || password.length > 1024)
      throw new SawBrainError('QUERY_INVALID', `password: ${MIN_SET_PASSWORD}-1024 characters`);
    this.assertActive(username);
    this.storeHash(username, await hashPassword(password, this.params));
  }

  /** Revokes any principal (terminal). false if it was already revoked. */
  revokePrincipal(username: string): boolean {
    return this.db
      .transaction(() => {
        const row = this.principalRow(username);
        if (!row) throw new SawBrainError('MACHINE_NOT_FOUND', `no principal ${username}`);
        if (row.revokedAt !== null) return false;
        const now = this.clock.now();
        this.db.prepare('UPDATE principals SET revokedAt = ? WHERE username = ?').run(now, username);
        this.logChange(username, 'revoke', now);
        if (row.kind === 'machine' && row.machineId) {
          this.db.prepare('UPDATE machines SET revokedAt = ? WHERE machineId = ?').run(now, row.machineId);
          const gateways = this.db
            .prepare(
              `SELECT username FROM principals
               WHERE kind = 'gateway' AND revokedAt IS NULL
                 AND EXISTS (SELECT 1 FROM json_each(principals.machines) WHERE value = ?)`,
            )
            .pluck()
            .all(row.machineId) as string[];
          for (const gw of gateways) this.logChange(gw, 'rights', now);
        }
        return true;
      })
      .immediate();
  }

  /**
   * Checks credentials (async scrypt on the thread pool; unknown users cost the same as known
   * ones). null when unknown, revoked or wrong.
   */
  async verify(username: string, password: string | Buffer): Promise<Principal | null> {
    const row = username && username.length <= 256 ? this.principalRow(username) : undefined;
    if (!row || row.revokedAt !== null) {
      await verifyPassword(password, await this.getDummyHash());
      return null;
    }
    if (!(await verifyPassword(password, row.passwordHash))) return null;
    if (!this.db.open) return null;
    // re-read: a rotation or revocation may have landed while scrypt ran
    const current = this.principalRow(username);
    if (!current || current.revokedAt !== null || current.passwordHash !== row.passwordHash) return null;
    return this.toPrincipal(current);
  }

  // ------------------------------------------------------- change tracking

  /** Monotonic counter, bumped by every change (cheap: poll it). */
  revision(): number {
    return this.db.prepare("SELECT value FROM meta WHERE key = 'revision'").pluck().get() as number;
  }

  /** Changes after revision `rev`, oldest first, and the current revision. */
  changesSince(rev: number, limit = 10_000): { revision: number; changes: RegistryChange[] } {
    return this.db
      .transaction(() => ({
        revision: this.revision(),
        changes: this.db
          .prepare('SELECT rev, username, action, at FROM changes WHERE rev > ? ORDER BY rev LIMIT ?')
          .all(rev, limit) as RegistryChange[],
      }))
      .deferred();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  // ---------------------------------------------------------------- private

  private async addPrincipal(p: {
    username: string;
    kind: PrincipalKind;
    tenant: string | null;
    machineId: string | null;
    machines: string[];
    scopes: ServiceScope[];
  }): Promise<{ principal: PrincipalRecord } & Credentials> {
    this.assertUsernameFree(p.username);
    const password = generatePassword();
    const hash = await hashPassword(password, this.params);
    const now = this.clock.now();
    try {
      this.db.transaction(() => this.insertPrincipal({ ...p, hash, now })).immediate();
    } catch (err) {
      if (isUniqueViolation(err)) throw new SawBrainError('MACHINE_EXISTS', `name taken: ${p.username}`);
      throw err;
    }
    return { principal: this.getPrincipal(p.username)!, username: p.username, password };
  }

  private insertPrincipal(p: {
    username: string;
    kind: PrincipalKind;
    tenant: string | null;
    machineId: string | null;
    machines: string[];
    scopes: ServiceScope[];
    hash: string;
    now: number;
  }): void {
    this.db
      .prepare(
        `INSERT INTO principals (username, kind, tenant, machineId, machines, scopes, passwordHash, createdAt)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        p.username,
        p.kind,
        p.tenant,
        p.machineId,
        JSON.stringify(p.machines),
        JSON.stringify(p.scopes),
        p.hash,
        p.now,
      );
    this.logChange(p.username, 'add', p.now);
  }

  /** Replaces the hash (the principal must still be active after the await that computed it). */
  private storeHash(username: string, hash: string): void {
    this.db
      .transaction(() => {
        this.assertActive(username);
        const now = this.clock.now();
        this.db
          .prepare('UPDATE principals SET passwordHash = ?, rotatedAt = ? WHERE username = ?')
          .run(hash, now, username);
        this.logChange(username, 'rotate', now);
      })
      .immediate();
  }

  private logChange(username: string, action: ChangeAction, at: number): number {
    const rev = this.db
      .prepare("UPDATE meta SET value = value + 1 WHERE key = 'revision' RETURNING value")
      .pluck()
      .get() as number;
    this.db
      .prepare('INSERT INTO changes (rev, username, action, at) VALUES (?, ?, ?, ?)')
      .run(rev, username, action, at);
    return rev;
  }

  private principalRow(username: string): PrincipalRow | undefined {
    return this.db.prepare('SELECT * FROM principals WHERE username = ?').get(username) as
      | PrincipalRow
      | undefined;
  }

  private assertUsernameFree(username: string): void {
    if (this.principalRow(username) || this.get(username))
      throw new SawBrainError('MACHINE_EXISTS', `name taken: ${username}`);
  }

  private assertActive(username: string): void {
    const row = this.principalRow(username);
    if (!row) throw new SawBrainError('MACHINE_NOT_FOUND', `no principal ${username}`);
    if (row.revokedAt !== null) throw new SawBrainError('PRINCIPAL_REVOKED', username);
  }

  private toPrincipal(row: PrincipalRow): Principal {
    switch (row.kind) {
      case 'machine':
        return { kind: 'machine', username: row.username, machineId: row.machineId!, tenant: row.tenant! };
      case 'gateway': {
        const machines = this.db
          .prepare(
            `SELECT machineId FROM machines
             WHERE revokedAt IS NULL AND tenant = ? AND machineId IN (SELECT value FROM json_each(?))
             ORDER BY machineId`,
          )
          .pluck()
          .all(row.tenant, row.machines) as string[];
        return { kind: 'gateway', username: row.username, tenant: row.tenant!, machines };
      }
      case 'service':
        return { kind: 'service', username: row.username, scopes: JSON.parse(row.scopes) as ServiceScope[] };
    }
  }

  private getDummyHash(): Promise<string> {
    this.dummyHash ??= hashPassword(generatePassword(), this.params);
    return this.dummyHash;
  }
}

function toRecord(row: PrincipalRow): PrincipalRecord {
  return {
    username: row.username,
    kind: row.kind,
    tenant: row.tenant,
    machineId: row.machineId,
    machines: JSON.parse(row.machines) as string[],
    scopes: JSON.parse(row.scopes) as ServiceScope[],
    createdAt: row.createdAt,
    rotatedAt: row.rotatedAt,
    revokedAt: row.revokedAt,
  };
}
