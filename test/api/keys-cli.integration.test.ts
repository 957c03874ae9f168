import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSystem } from '../../services/app/system.js';
import { loadConfig } from '../../services/core/config.js';
import { silentLogger } from '../../services/core/logger.js';
import { execFileAsync, type TestSystem } from '../helpers/system.js';
import { bootApi, call } from './helpers.js';

/**
 * How the first admin key is obtained on a fresh install: `sawbrain key add --role admin`
 * (a separate process sharing the key file with the running API) prints it once; or, with no
 * admin key at all, the first start makes one and prints it once (and never again).
 */
const root = join(import.meta.dirname, '../..');
const cli = (dataDir: string, ...args: string[]) =>
  execFileAsync(process.execPath, [join(root, 'bin/sawbrain.js'), ...args], {
    env: { ...process.env, SAWBRAIN_DATA_DIR: dataDir },
  });

describe('first keys of a fresh install', () => {
  let t: TestSystem;
  beforeAll(async () => {
    t = await bootApi();
  });
  afterAll(async () => t?.close());

  it('sawbrain key add prints a key the running API accepts; key revoke cuts it off', async () => {
    const { stdout } = await cli(
      t.dataDir,
      'key',
      'add',
      '--role',
      'manufacturer',
      '--tenant',
      'sanhe',
      '--label',
      'Sanhe desk',
      '--json',
    );
    const out = JSON.parse(stdout) as { key: string; keyId: string; role: string };
    expect(out.role).toBe('manufacturer');
    const me = await call(t.sys, out.key, 'GET', '/api/v1/me');
    expect(me.json).toMatchObject({ role: 'manufacturer', tenant: 'sanhe', label: 'Sanhe desk' });
    const list = await cli(t.dataDir, 'key', 'list');
    expect(list.stdout).toContain(out.keyId);
    expect(list.stdout).not.toContain(out.key);
    await cli(t.dataDir, 'key', 'revoke', out.keyId);
    expect((await call(t.sys, out.key, 'GET', '/api/v1/me')).status).toBe(401);
    await expect(
      cli(t.dataDir, 'key', 'add', '--role', 'plant', '--label', 'no plant given'),
    ).rejects.toThrow(/a plant key needs a plant/);
  });

  it('the first start makes one admin key, shown once; a restart does not make another', async () => {
    const config = loadConfig(
      {},
      {
        roles: ['http'],
        dataDir: join(t.dataDir, 'fresh'),
        logLevel: 'silent',
        http: { host: '127.0.0.1', port: 0 },
      },
    );
    const first = await startSystem(config, silentLogger());
    const k = first.api!.bootstrapKey!;
    expect(k).toMatch(/^sbk_/);
    expect((await call(first, k, 'GET', '/api/v1/me')).json.role).toBe('admin');
    await first.stop();
    const second = await startSystem(config, silentLogger());
    expect(second.api!.bootstrapKey).toBeNull();
    expect((await call(second, k, 'GET', '/api/v1/me')).status).toBe(200);
    await second.stop();
  });
});
