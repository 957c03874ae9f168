import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '../../services/core/config.js';
import { silentLogger } from '../../services/core/logger.js';
import type { Point } from '../../services/core/ports.js';
import { createStore } from '../../services/stores/index.js';
import { InfluxStore } from '../../services/stores/influx/influx-store.js';
import { DELETE_CHUNK, SqliteStore } from '../../services/stores/sqlite/sqlite-store.js';
import { type InfluxdHandle, influxdSkipReason, startInfluxd } from '../helpers/influxd.js';
import { rejection, storeContract, T0 } from './stores.contract.js';

const skipInflux = influxdSkipReason();
if (skipInflux) process.stderr.write(`\n[stores.integration] InfluxStore tests SKIPPED: ${skipInflux}\n\n`);

function influxConfig(url: string, extra: Partial<Config['influx']> = {}): Config['influx'] {
  return { ...loadConfig({}, { influx: { url } }).influx, ...extra };
}

storeContract('SqliteStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sawbrain-sqlite-'));
  const store = new SqliteStore({ dir, logger: silentLogger() });
  return {
    store,
    close: async () => {
      await store.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteStore deleteBefore', () => {
  it('deletes in bounded chunks and lets writes in between them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sawbrain-sqlite-'));
    const store = new SqliteStore({ dir, logger: silentLogger() });
    try {
      await store.start();
      const n = 3 * DELETE_CHUNK + 123;
      const points: Point[] = Array.from({ length: n }, (_, i) => ({
        db: 'operations',
        measurement: 'telemetry',
        tags: { tenant: 'acme', machine: 'big' },
        fields: { power: i },
        ts: T0 + i,
      }));
      await store.write(points);
      // a writer that gets in whenever the event loop is free: between chunks it must land
      let landed = 0;
      let writing = true;
      const writer = (async () => {
        while (writing) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          await store.write([
            {
              db: 'operations',
              measurement: 'telemetry',
              tags: { tenant: 'acme', machine: 'other' },
              fields: { power: landed },
              ts: T0 + landed,
            },
          ]);
          landed++;
        }
      })();
      const r = await store.deleteBefore({ db: 'operations', measurement: 'telemetry', before: T0 + n });
      const landedDuring = landed;
      writing = false;
      await writer;
      expect(r.deleted).toBe(n + landedDuring); // the other machine's points before the cutoff too
      expect(landedDuring).toBeGreaterThanOrEqual(3); // at least one write per chunk boundary
      const left = await store.query({
        db: 'operations',
        measurement: 'telemetry',
        from: T0,
        to: T0 + n + 1e6,
        fn: 'count',
        fields: ['power'],
      });
      expect(left[0]?.values.power ?? 0).toBe(landed - landedDuring);
    } finally {
      await store.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(skipInflux !== null)(
  `InfluxStore on influxd 1.x${skipInflux ? ` (SKIPPED: ${skipInflux})` : ''}`,
  () => {
    storeContract('InfluxStore', async () => {
      const server = await startInfluxd();
      const store = new InfluxStore({ config: influxConfig(server.url), logger: silentLogger() });
      return {
        store,
        close: async () => {
          await store.stop();
          await server.stop();
        },
      };
    });

    describe('outages', () => {
      let server: InfluxdHandle;
      const point = (ts: number): Point => ({
        db: 'operations',
        measurement: 'outage',
        tags: { machine: 'a' },
        fields: { v: ts - T0 },
        ts,
      });
      const count = async (store: InfluxStore) =>
        (
          await store.query({
            db: 'operations',
            measurement: 'outage',
            from: T0,
            to: T0 + 1e6,
            fn: 'count',
            fields: ['v'],
          })
        )[0]?.values.v;

      beforeAll(async () => {
        server = await startInfluxd();
      });
      afterAll(async () => {
        await server?.stop();
      });

      it('rejects writes with STORE_UNAVAILABLE while the server is down, works again after restart', async () => {
        const store = new InfluxStore({
          config: influxConfig(server.url, { timeoutMs: 500 }),
          logger: silentLogger(),
        });
        await store.start();
        expect(store.apiVersion).toBe('1');
        await store.write([point(T0)]);
        await server.kill();
        const t = Date.now();
        expect(await rejection(store.write([point(T0 + 1)]))).toBe('STORE_UNAVAILABLE');
        expect(
          await rejection(store.query({ db: 'operations', measurement: 'outage', from: T0, to: T0 + 9 })),
        ).toBe('STORE_UNAVAILABLE');
        expect(await store.ping()).toBe(false);
        expect(Date.now() - t).toBeLessThan(5000);
        await server.restart();
        expect(await store.ping()).toBe(true);
        await store.write([point(T0 + 1)]);
        expect(await count(store)).toBe(2);
        await store.stop();
      });

      it('times out instead of hanging when the server stops answering', async () => {
        const store = new InfluxStore({
          config: influxConfig(server.url, { timeoutMs: 300 }),
          logger: silentLogger(),
        });
        await store.start();
        server.pause();
        try {
          const t = Date.now();
          expect(await rejection(store.write([point(T0 + 2)]))).toBe('STORE_UNAVAILABLE');
          expect(await store.ping()).toBe(false);
          expect(Date.now() - t).toBeLessThan(3000);
        } finally {
          server.resume();
        }
        await store.write([point(T0 + 2)]);
        expect(await count(store)).toBe(3);
        await store.stop();
      });

      it('starts while the server is down and sets up on first use', async () => {
        await server.kill();
        const store = new InfluxStore({
          config: influxConfig(server.url, { timeoutMs: 300 }),
          logger: silentLogger(),
        });
        await store.start(); // does not throw
        expect(await rejection(store.write([point(T0 + 3)]))).toBe('STORE_UNAVAILABLE');
        await server.restart();
        await store.write([point(T0 + 3)]);
        expect(await count(store)).toBe(4);
        await store.stop();
      });
    });
  },
);

describe('createStore', () => {
  it('picks InfluxStore when influx.url is set, SqliteStore in <dataDir>/tsdb otherwise', () => {
    const influx = createStore(loadConfig({}, { influx: { url: 'http://127.0.0.1:1' } }), silentLogger());
    expect(influx).toBeInstanceOf(InfluxStore);
    const sqlite = createStore(loadConfig({}, { dataDir: '/tmp/sawbrain-x' }), silentLogger());
    expect(sqlite).toBeInstanceOf(SqliteStore);
    expect(sqlite.kind).toBe('sqlite');
  });
});

describe('InfluxStore endpoints per API version (fake server)', () => {
  interface Seen {
    method: string;
    path: string;
    query: URLSearchParams;
    auth: string | undefined;
    body: string;
  }
  type Reply = { status: number; headers?: Record<string, string>; body?: unknown };
  let server: Server;
  let url: string;
  let seen: Seen[] = [];
  let answer: (s: Seen) => Reply = () => ({ status: 204 });

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const u = new URL(req.url ?? '/', 'http://x');
        const s: Seen = {
          method: req.method ?? '',
          path: u.pathname,
          query: u.searchParams,
          auth: req.headers.authorization,
          body: Buffer.concat(chunks).toString(),
        };
        seen.push(s);
        const r = answer(s);
        const body = r.body === undefined ? '' : JSON.stringify(r.body);
        res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers });
        res.end(r.status === 204 ? undefined : body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });
  const point: Point = {
    db: 'market',
    measurement: 'price',
    tags: { grade: 'C45' },
    fields: { eur: 2 },
    ts: T0,
  };
  const open = async (extra: Partial<Config['influx']>) => {
    seen = [];
    const store = new InfluxStore({ config: influxConfig(url, extra), logger: silentLogger() });
    await store.start();
    return store;
  };

  it('2.x: finds the org, creates buckets and DBRP mappings, writes to /api/v2/write with the token', async () => {
    answer = (s) => {
      if (s.path === '/ping') return { status: 204, headers: { 'X-Influxdb-Version': 'v2.7.11' } };
      if (s.path === '/api/v2/orgs') return { status: 200, body: { orgs: [{ id: 'org1' }] } };
      if (s.path === '/api/v2/buckets' && s.method === 'GET') return { status: 200, body: { buckets: [] } };
      if (s.path === '/api/v2/buckets') return { status: 201, body: { id: `b-${JSON.parse(s.body).name}` } };
      if (s.path === '/api/v2/dbrps' && s.method === 'GET') return { status: 200, body: { content: [] } };
      if (s.path === '/api/v2/dbrps') return { status: 201, body: {} };
      if (s.path === '/query') return { status: 200, body: { results: [{ statement_id: 0 }] } };
      return { status: 204 };
    };
    const store = await open({ token: 'tok', org: 'sawbrain' });
    expect(store.apiVersion).toBe('2');
    expect(
      seen.filter((s) => s.path === '/api/v2/buckets' && s.method === 'POST').map((s) => JSON.parse(s.body)),
    ).toEqual(
      ['operations', 'supplychain', 'market', 'algorithms'].map((db) => ({
        orgID: 'org1',
        name: `sawbrain_${db}`,
        retentionRules: [],
      })),
    );
    expect(seen.filter((s) => s.path === '/api/v2/dbrps' && s.method === 'POST')).toHaveLength(4);
    await store.write([point]);
    const write = seen.find((s) => s.path === '/api/v2/write')!;
    expect(Object.fromEntries(write.query)).toEqual({
      org: 'sawbrain',
      bucket: 'sawbrain_market',
      precision: 'ms',
    });
    expect(write.body).toBe(`price,grade=C45 eur=2 ${T0}`);
    await store.query({ db: 'market', measurement: 'price', from: T0, to: T0 + 1 });
    const query = seen.find((s) => s.path === '/query')!;
    expect(query.query.get('db')).toBe('sawbrain_market');
    expect(query.query.get('epoch')).toBe('ms');
    expect(seen.filter((s) => s.path !== '/ping').every((s) => s.auth === 'Token tok')).toBe(true);
    await store.stop();
  });

  it('2.x: deleteBefore posts /api/v2/delete with an inclusive range and a predicate', async () => {
    answer = (s) => {
      if (s.path === '/ping') return { status: 204, headers: { 'X-Influxdb-Version': 'v2.7.11' } };
      if (s.path === '/api/v2/orgs') return { status: 200, body: { orgs: [{ id: 'org1' }] } };
      if (s.path === '/api/v2/buckets' && s.method === 'GET')
        return { status: 200, body: { buckets: [{ id: 'b' }] } };
      if (s.path === '/api/v2/dbrps' && s.method === 'GET') return { status: 200, body: { content: [{}] } };
      if (s.path === '/api/v2/delete' && JSON.parse(s.body).predicate.includes('boom'))
        return { status: 400, body: { code: 'invalid', message: 'bad predicate' } };
      return { status: 204 };
    };
    const store = await open({ token: 'tok', org: 'sawbrain' });
    const r = await store.deleteBefore({
      db: 'operations',
      measurement: 'telemetry',
      before: T0,
      where: { tenant: 'acme', machine: 'SAW "1"' },
    });
    expect(r).toEqual({ supported: true, deleted: null });
    const del = seen.find((s) => s.path === '/api/v2/delete')!;
    expect(del).toMatchObject({ method: 'POST', auth: 'Token tok' });
    expect(Object.fromEntries(del.query)).toEqual({ org: 'sawbrain', bucket: 'sawbrain_operations' });
    expect(JSON.parse(del.body)).toEqual({
      start: '1677-09-21T00:12:43.146Z',
      stop: new Date(T0 - 1).toISOString(),
      predicate: '_measurement="telemetry" AND "tenant"="acme" AND "machine"="SAW \\"1\\""',
    });
    await expect(
      store.deleteBefore({ db: 'operations', measurement: 'telemetry', before: T0, where: { m: 'boom' } }),
    ).rejects.toMatchObject({ code: 'QUERY_INVALID', message: expect.stringContaining('bad predicate') });
    expect(await rejection(store.deleteBefore({ db: 'operations', measurement: 'x-y', before: T0 }))).toBe(
      'QUERY_INVALID',
    );
    await store.stop();
  });

  it('3.x: deleteBefore sends nothing and says it is not supported', async () => {
    answer = (s) =>
      s.path === '/ping'
        ? { status: 200, headers: { 'X-Influxdb-Version': '3.1.0', 'X-Influxdb-Build': 'Core' }, body: {} }
        : { status: 204 };
    const store = await open({ token: 'tok3' });
    expect(await store.deleteBefore({ db: 'operations', measurement: 'telemetry', before: T0 })).toEqual({
      supported: false,
      deleted: null,
    });
    expect(seen.map((s) => s.path)).toEqual(['/ping']);
    await store.stop();
  });

  it('3.x: detected from the build header, no set-up, writes to /write?db= with the token', async () => {
    answer = (s) =>
      s.path === '/ping'
        ? { status: 200, headers: { 'X-Influxdb-Version': '3.1.0', 'X-Influxdb-Build': 'Core' }, body: {} }
        : { status: 204 };
    const store = await open({ token: 'tok3' });
    expect(store.apiVersion).toBe('3');
    expect(seen.map((s) => s.path)).toEqual(['/ping']);
    await store.write([point]);
    expect(seen[1]).toMatchObject({ path: '/write', auth: 'Token tok3' });
    expect(Object.fromEntries(seen[1]!.query)).toEqual({ db: 'sawbrain_market', precision: 'ms' });
    await store.stop();
  });

  it('1.x with credentials: CREATE DATABASE and writes carry u/p; 4xx → STORE_REJECTED, 5xx → STORE_UNAVAILABLE', async () => {
    let status = 204;
    answer = (s) => {
      if (s.path === '/ping') return { status: 204, headers: { 'X-Influxdb-Version': '1.8.10' } };
      if (s.path === '/query') return { status: 200, body: { results: [{ statement_id: 0 }] } };
      return status === 204 ? { status } : { status, body: { error: `boom ${status}` } };
    };
    const store = await open({ username: 'ann', password: 'p&w' });
    const creates = seen.filter((s) => s.path === '/query').map((s) => s.query.get('q'));
    expect(creates).toEqual(
      ['operations', 'supplychain', 'market', 'algorithms'].map((db) => `CREATE DATABASE "sawbrain_${db}"`),
    );
    expect(
      seen
        .filter((s) => s.path === '/query')
        .every((s) => s.query.get('u') === 'ann' && s.query.get('p') === 'p&w'),
    ).toBe(true);
    await store.write([point]);
    expect(seen.at(-1)!.query.get('p')).toBe('p&w');
    status = 400;
    await expect(store.write([point])).rejects.toMatchObject({
      code: 'STORE_REJECTED',
      message: expect.stringContaining('boom 400'),
    });
    status = 503;
    expect(await rejection(store.write([point]))).toBe('STORE_UNAVAILABLE');
    await store.stop();
  });
});
