import { connectAsync } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/ports.js';
import type { TestSystem } from '../helpers/system.js';
import { ADMIN_KEY, addMachines, bootApi, call, key } from './helpers.js';

const spec = (machineId: string, tenant = 'chenlong') => ({
  machineId,
  tenant,
  plant: 'ningbo-autoparts',
  site: 'hall-1',
  region: 'cn-zhejiang',
  industry: 'automotive-parts',
  model: 'chenlong-gz4235',
});

describe('machine credentials through the API (real broker)', () => {
  let t: TestSystem;
  let mfr: string;
  beforeAll(async () => {
    t = await bootApi();
    mfr = key(t.sys, 'manufacturer', { tenant: 'chenlong' });
  });
  afterAll(async () => t?.close());

  it('registers a machine whose credentials connect, shown once and stored hashed', async () => {
    const res = await call(t.sys, mfr, 'POST', '/api/v1/machines', {
      ...spec('CL-REG-1'),
      serial: 'S-REG-1',
    });
    expect(res.status).toBe(201);
    const { username, password, topicPrefix } = res.json.credentials;
    expect(topicPrefix).toBe('sawbrain/v1/chenlong/CL-REG-1/');
    const c = await connectAsync(t.mqttUrl, { clientId: username, username, password, reconnectPeriod: 0 });
    await c.endAsync();
    const again = await call(t.sys, mfr, 'GET', '/api/v1/machines/CL-REG-1');
    expect(again.text).not.toContain(password);
    // a manufacturer registers only for itself
    const foreign = await call(t.sys, mfr, 'POST', '/api/v1/machines', {
      ...spec('JL-REG-1', 'julihuang'),
      model: 'julihuang-gz42100',
      serial: 'S',
    });
    expect(foreign.status).toBe(403);
  });

  it('revocation disconnects the machine within 5 s and it cannot reconnect', async () => {
    const [m] = await addMachines(t.sys, [spec('CL-REV-1')]);
    const client = await connectAsync(t.mqttUrl, {
      clientId: m!.machineId,
      username: m!.machineId,
      password: m!.password,
      reconnectPeriod: 0,
    });
    let closedAt = 0;
    client.on('close', () => {
      closedAt ||= Date.now();
    });
    const t0 = Date.now();
    const res = await call(t.sys, mfr, 'DELETE', `/api/v1/machines/${m!.machineId}/credentials`);
    expect(res.status).toBe(200);
    expect(res.json.revokedAt).toBeGreaterThan(0);
    await waitFor(() => closedAt > 0, 6000, 10);
    const ms = closedAt - t0;
    process.stdout.write(`revocation: disconnected ${ms} ms after the API call\n`);
    expect(ms).toBeLessThan(5000);
    await expect(
      connectAsync(t.mqttUrl, {
        clientId: m!.machineId,
        username: m!.machineId,
        password: m!.password,
        reconnectPeriod: 0,
        connectTimeout: 3000,
      }),
    ).rejects.toThrow(/Bad username or password|Not authorized/);
    // revoked for good: no new credentials either
    const rotate = await call(t.sys, mfr, 'POST', `/api/v1/machines/${m!.machineId}/credentials`);
    expect(rotate.status).toBe(409);
    const audit = await call(t.sys, mfr, 'GET', `/api/v1/audit?targetKind=machine&targetId=${m!.machineId}`);
    expect(audit.json.items[0]).toMatchObject({
      action: 'machine.revoke',
      outcome: 'ok',
      role: 'manufacturer',
    });
  });

  it('rotation issues new credentials: the old password is dropped and refused, the new one works', async () => {
    const [m] = await addMachines(t.sys, [spec('CL-ROT-1')]);
    const client = await connectAsync(t.mqttUrl, {
      clientId: m!.machineId,
      username: m!.machineId,
      password: m!.password,
      reconnectPeriod: 0,
    });
    const closed = new Promise<number>((r) => client.once('close', () => r(Date.now())));
    const t0 = Date.now();
    const res = await call(t.sys, mfr, 'POST', `/api/v1/machines/${m!.machineId}/credentials`);
    expect(res.status).toBe(201);
    expect((await closed) - t0).toBeLessThan(5000);
    await expect(
      connectAsync(t.mqttUrl, {
        clientId: m!.machineId,
        username: m!.machineId,
        password: m!.password,
        reconnectPeriod: 0,
      }),
    ).rejects.toThrow();
    const fresh = await connectAsync(t.mqttUrl, {
      clientId: m!.machineId,
      username: m!.machineId,
      password: res.json.password,
      reconnectPeriod: 0,
    });
    await fresh.endAsync();
  });

  it('API keys: created by admin only, shown once, revoked at once', async () => {
    const denied = await call(t.sys, mfr, 'POST', '/api/v1/keys', { role: 'admin', label: 'escalate' });
    expect(denied.status).toBe(403);
    const created = await call(t.sys, ADMIN_KEY, 'POST', '/api/v1/keys', {
      role: 'plant',
      plant: 'ningbo-autoparts',
      label: 'shift lead',
    });
    expect(created.status).toBe(201);
    const k = created.json.key as string;
    expect((await call(t.sys, k, 'GET', '/api/v1/me')).json).toMatchObject({
      role: 'plant',
      plant: 'ningbo-autoparts',
    });
    const listed = await call(t.sys, ADMIN_KEY, 'GET', '/api/v1/keys');
    expect(listed.text).not.toContain(k);
    expect((await call(t.sys, ADMIN_KEY, 'DELETE', `/api/v1/keys/${created.json.keyId}`)).status).toBe(200);
    const after = await call(t.sys, k, 'GET', '/api/v1/me');
    expect(after.status).toBe(401);
    expect(after.json.error.code).toBe('UNAUTHENTICATED');
    // invalid key shapes
    expect((await call(t.sys, null, 'GET', '/api/v1/me')).status).toBe(401);
    expect(
      (await call(t.sys, 'sbk_not-a-key-at-all-but-long-enough-to-try', 'GET', '/api/v1/me')).status,
    ).toBe(401);
  });
});

describe('rate limits and failed-auth throttling', () => {
  let t: TestSystem;
  beforeAll(async () => {
    t = await bootApi({ api: { rateLimitPerMinute: 5, authFailuresPerMinute: 3 } });
  });
  afterAll(async () => t?.close());

  it('limits requests per key', async () => {
    const k = key(t.sys, 'innovation');
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await call(t.sys, k, 'GET', '/api/v1/me')).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    const r = await call(t.sys, k, 'GET', '/api/v1/me');
    expect(r.json.error.code).toBe('RATE_LIMITED');
    // another key has its own budget
    expect((await call(t.sys, key(t.sys, 'innovation'), 'GET', '/api/v1/me')).status).toBe(200);
  });

  it('locks an address out after repeated bad keys, even for a good key', async () => {
    const good = key(t.sys, 'innovation');
    for (let i = 0; i < 3; i++)
      expect((await call(t.sys, `sbk_wrong-${i}-${'y'.repeat(40)}`, 'GET', '/api/v1/me')).status).toBe(401);
    const locked = await call(t.sys, good, 'GET', '/api/v1/me');
    expect(locked.status).toBe(429);
    expect(locked.json.error.code).toBe('AUTH_THROTTLED');
    // probes stay reachable
    expect((await call(t.sys, null, 'GET', '/health')).status).toBe(200);
  });
});
