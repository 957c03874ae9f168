import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isSawBrainError } from '../../services/core/errors.js';
import {
  hashPassword,
  MachineRegistry,
  registerRegistryCommands,
  verifyPassword,
} from '../../services/registry/index.js';

const machineInput = (machineId: string, tenant = 'chenlong') => ({
  machineId,
  tenant,
  plant: 'Plant 1',
  site: 'Xiamen',
  region: 'CN-FJ',
  industry: 'steel service center',
  model: 'GZ4240',
  serial: `SN-${machineId}`,
});

describe('password hashing', () => {
  it('stores scrypt$N$r$p$salt$hash, verifies, rejects wrong and malformed', async () => {
    const hash = await hashPassword('s3cret');
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
    expect(await verifyPassword('s3cret', hash)).toBe(true);
    expect(await verifyPassword('s3cret!', hash)).toBe(false);
    expect(await verifyPassword(Buffer.from('s3cret'), hash)).toBe(true);
    expect(await verifyPassword('s3cret', 'plain')).toBe(false);
    // absurd parameters from a corrupt row are refused, not computed
    expect(await verifyPassword('s3cret', hash.replace('$16384$', '$1073741824$'))).toBe(false);
    // per-password salt: same secret, different hashes
    expect(await hashPassword('s3cret')).not.toBe(hash);
  });

  it('verify does not block the event loop', async () => {
    const hash = await hashPassword('x');
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const started = performance.now();
    await Promise.all([verifyPassword('x', hash), verifyPassword('y', hash)]);
    const ms = performance.now() - started;
    clearInterval(timer);
    // the timer kept firing while scrypt ran on the thread pool
    expect(ticks).toBeGreaterThan(0);
    expect(ms).toBeLessThan(2000);
  });
});

describe('MachineRegistry', () => {
  let dir: string;
  let registry: MachineRegistry;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sawbrain-registry-'));
    registry = MachineRegistry.open(dir);
  });
  afterEach(() => {
    registry.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds a machine, verifies its credentials, lists and gets it', async () => {
    const { machine, username, password } = await registry.addMachine(machineInput('CL-0001'));
    expect(username).toBe('CL-0001');
    expect(password).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect(machine).toMatchObject({ machineId: 'CL-0001', tenant: 'chenlong', revokedAt: null });
    expect(registry.get('CL-0001')).toEqual(machine);
    expect(registry.get('nope')).toBeNull();
    expect(await registry.verify('CL-0001', password)).toEqual({
      kind: 'machine',
      username: 'CL-0001',
      machineId: 'CL-0001',
      tenant: 'chenlong',
    });
    expect(await registry.verify('CL-0001', Buffer.from(password))).not.toBeNull();
    expect(await registry.verify('CL-0001', `${password}x`)).toBeNull();
    expect(await registry.verify('unknown', password)).toBeNull();
    expect(await registry.verify('', password)).toBeNull();

    await registry.addMachine({ ...machineInput('CL-0002'), plant: 'Plant 2' });
    await registry.addMachine(machineInput('BH-0001', 'behringer'));
    expect(registry.list().map((m) => m.machineId)).toEqual(['BH-0001', 'CL-0001', 'CL-0002']);
    expect(registry.list({ tenant: 'chenlong' }).map((m) => m.machineId)).toEqual(['CL-0001', 'CL-0002']);
    expect(registry.list({ tenant: 'chenlong', plant: 'Plant 2' }).map((m) => m.machineId)).toEqual([
      'CL-0002',
    ]);
  });

  it('validates input and refuses duplicates', async () => {
    await registry.addMachine(machineInput('CL-0001'));
    await expect(registry.addMachine(machineInput('CL-0001'))).rejects.toSatisfy((e) =>
      isSawBrainError(e, 'MACHINE_EXISTS'),
    );
    for (const bad of [
      { ...machineInput('CL/0001') },
      { ...machineInput('+') },
      { ...machineInput('CL-0003'), tenant: 'Chen Long' },
      { ...machineInput('CL-0003'), plant: '' },
      { ...machineInput('CL-0003'), serial: 'a\u0000b' },
    ]) {
      await expect(registry.addMachine(bad)).rejects.toSatisfy((e) => isSawBrainError(e, 'QUERY_INVALID'));
    }
    // machine ids and other principal names share one namespace
    await expect(registry.addService('CL-0001', ['ingest'])).rejects.toSatisfy((e) =>
      isSawBrainError(e, 'MACHINE_EXISTS'),
    );
  });

  it('rotate: the old password stops working, the new one works, revision moves', async () => {
    const { password: old } = await registry.addMachine(machineInput('CL-0001'));
    const rev = registry.revision();
    const fresh = await registry.rotate('CL-0001');
    expect(fresh).not.toBe(old);
    expect(await registry.verify('CL-0001', old)).toBeNull();
    expect(await registry.verify('CL-0001', fresh)).not.toBeNull();
    expect(registry.revision()).toBeGreaterThan(rev);
    expect(registry.changesSince(rev).changes).toEqual([
      expect.objectContaining({ username: 'CL-0001', action: 'rotate' }),
    ]);
    expect(registry.getPrincipal('CL-0001')?.rotatedAt).not.toBeNull();
    await expect(registry.rotate('nope')).rejects.toSatisfy((e) => isSawBrainError(e, 'MACHINE_NOT_FOUND'));
  });

  it('revoke: verify returns null, rotate refused, gateways lose the machine', async () => {
    const a = await registry.addMachine(machineInput('CL-0001'));
    await registry.addMachine(machineInput('CL-0002'));
    await registry.addMachine(machineInput('BH-0001', 'behringer'));
    const gw = await registry.addGateway('gw-1', 'chenlong', ['CL-0001', 'CL-0002']);
    expect(await registry.verify('gw-1', gw.password)).toEqual({
      kind: 'gateway',
      username: 'gw-1',
      tenant: 'chenlong',
      machines: ['CL-0001', 'CL-0002'],
    });
    // a gateway may only speak for machines of its tenant
    await expect(registry.addGateway('gw-2', 'chenlong', ['BH-0001'])).rejects.toSatisfy((e) =>
      isSawBrainError(e, 'MACHINE_NOT_FOUND'),
    );

    const rev = registry.revision();
    expect(registry.revoke('CL-0001')).toBe(true);
    expect(registry.revoke('CL-0001')).toBe(false);
    expect(await registry.verify('CL-0001', a.password)).toBeNull();
    expect(registry.get('CL-0001')?.revokedAt).not.toBeNull();
    expect(registry.list({ includeRevoked: false }).map((m) => m.machineId)).toEqual(['BH-0001', 'CL-0002']);
    await expect(registry.rotate('CL-0001')).rejects.toSatisfy((e) =>
      isSawBrainError(e, 'PRINCIPAL_REVOKED'),
    );
    const { changes } = registry.changesSince(rev);
    expect(changes.map((c) => [c.username, c.action])).toEqual([
      ['CL-0001', 'revoke'],
      ['gw-1', 'rights'],
    ]);
    expect(await registry.verify('gw-1', gw.password)).toMatchObject({ machines: ['CL-0002'] });
  });

  it('services carry scopes; revokePrincipal works for any principal', async () => {
    const svc = await registry.addService('ingest-1', ['ingest', 'ingest', 'analysis']);
    expect(svc.principal.scopes).toEqual(['ingest', 'analysis']);
    expect(await registry.verify('ingest-1', svc.password)).toEqual({
      kind: 'service',
      username: 'ingest-1',
      scopes: ['ingest', 'analysis'],
    });
    await expect(registry.addService('bad', ['root' as 'admin'])).rejects.toSatisfy((e) =>
      isSawBrainError(e, 'QUERY_INVALID'),
    );
    registry.revokePrincipal('ingest-1');
    expect(await registry.verify('ingest-1', svc.password)).toBeNull();
  });

  it('setPassword installs a given secret (min 16 chars) and counts as a rotation', async () => {
    const { password: generated } = await registry.addService('ingest', ['ingest']);
    const rev = registry.revision();
    await expect(registry.setPassword('ingest', 'short')).rejects.toSatisfy((e) =>
      isSawBrainError(e, 'QUERY_INVALID'),
    );
    await registry.setPassword('ingest', 'a-shared-compose-secret');
    expect(await registry.verify('ingest', 'a-shared-compose-secret')).not.toBeNull();
    expect(await registry.verify('ingest', generated)).toBeNull();
    expect(registry.changesSince(rev).changes.map((c) => c.action)).toEqual(['rotate']);
    await expect(registry.setPassword('nobody', 'a-shared-compose-secret')).rejects.toSatisfy((e) =>
      isSawBrainError(e, 'MACHINE_NOT_FOUND'),
    );
  });

  it('keeps only hashes: no password appears in the database files', async () => {
    const secrets: string[] = [];
    secrets.push((await registry.addMachine(machineInput('CL-0001'))).password);
    secrets.push(await registry.rotate('CL-0001'));
    secrets.push((await registry.addService('svc', ['admin'])).password);
    registry.close();
    const files = readdirSync(dir).filter((f) => f.startsWith('registry.sqlite'));
    expect(files).toContain('registry.sqlite');
    const bytes = Buffer.concat(files.map((f) => readFileSync(join(dir, f))));
    for (const secret of secrets) {
      expect(bytes.includes(Buffer.from(secret))).toBe(false);
      expect(bytes.includes(Buffer.from(secret, 'base64url'))).toBe(false);
    }
    expect(bytes.includes(Buffer.from('scrypt$16384$8$1$'))).toBe(true);
    expect(statSync(join(dir, 'registry.sqlite')).mode & 0o077).toBe(0);
  });

  it('another connection to the same file sees changes through revision()', async () => {
    const other = MachineRegistry.open(dir);
    try {
      const before = other.revision();
      await registry.addMachine(machineInput('CL-0001'));
      registry.revoke('CL-0001');
      expect(other.revision()).toBe(before + 2);
      expect(other.changesSince(before).changes.map((c) => c.action)).toEqual(['add', 'revoke']);
    } finally {
      other.close();
    }
  });
});

describe('registry CLI', () => {
  let dir: string;
  let out: string[];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sawbrain-registry-cli-'));
    out = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (...args: string[]) => {
    out.length = 0;
    const program = new Command().exitOverride();
    program.configureOutput({ writeErr: (s) => out.push(s), writeOut: (s) => out.push(s) });
    registerRegistryCommands(program, () => MachineRegistry.open(dir));
    await program.parseAsync(args, { from: 'user' });
    return out.join('');
  };

  it('machine add prints the password once with a warning; --json is parseable; list/rotate/revoke', async () => {
    const text = await run(
      'machine',
      'add',
      '--id',
      'CL-0001',
      '--tenant',
      'chenlong',
      '--plant',
      'P1',
      '--site',
      'S1',
      '--region',
      'R1',
      '--industry',
      'steel',
      '--model',
      'GZ4240',
      '--serial',
      'SN1',
    );
    expect(text).toMatch(/password: [A-Za-z0-9_-]{32}/);
    expect(text).toContain('store this now, it is not shown again');

    const json = JSON.parse(
      await run(
        'machine',
        'add',
        '--json',
        '--id',
        'CL-0002',
        '--tenant',
        'chenlong',
        '--plant',
        'P1',
        '--site',
        'S1',
        '--region',
        'R1',
        '--industry',
        'steel',
        '--model',
        'GZ4240',
        '--serial',
        'SN2',
      ),
    ) as { username: string; password: string };
    expect(json.username).toBe('CL-0002');
    const reg = MachineRegistry.open(dir);
    try {
      expect(await reg.verify('CL-0002', json.password)).not.toBeNull();
    } finally {
      reg.close();
    }

    expect(await run('machine', 'list', '--tenant', 'chenlong')).toMatch(/CL-0001[\s\S]*CL-0002/);
    const listed = JSON.parse(await run('machine', 'list', '--json')) as { machineId: string }[];
    expect(listed.map((m) => m.machineId)).toEqual(['CL-0001', 'CL-0002']);
    expect(await run('machine', 'rotate', 'CL-0001')).toContain('store this now');
    expect(await run('machine', 'revoke', 'CL-0001')).toContain('revoked');
    expect(await run('gateway', 'add', 'gw-1', '--tenant', 'chenlong', '--machines', 'CL-0002')).toContain(
      'password:',
    );
    const svc = JSON.parse(
      await run('service', 'add', 'ingest', '--scope', 'ingest', '--scope', 'analysis', '--json'),
    );
    expect(svc.principal.scopes).toEqual(['ingest', 'analysis']);
    await expect(run('machine', 'revoke', 'nope')).rejects.toMatchObject({ code: 'MACHINE_NOT_FOUND' });
  });
});
