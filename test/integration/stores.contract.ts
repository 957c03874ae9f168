import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Point, SeriesQuery, TelemetryStore } from '../../services/core/ports.js';
import { aggregateHere, expectedRaw, fleet, rejection, sortRows, T0 } from './stores.fixtures.js';

export { rejection, T0 } from './stores.fixtures.js';

/**
 * The behaviour every TelemetryStore must share (run against SqliteStore and InfluxStore by
 * stores.integration.test.ts). Each test uses its own measurement, so they share one store.
 */
export function storeContract(
  name: string,
  open: () => Promise<{ store: TelemetryStore; close(): Promise<void> }>,
) {
  describe(`TelemetryStore contract: ${name}`, () => {
    let store: TelemetryStore;
    let close: () => Promise<void>;
    const range = { from: T0 - 60_000, to: T0 + 3_600_000 };
    const raw = (db: Point['db'], measurement: string, extra: Partial<SeriesQuery> = {}) =>
      store.query({ db, measurement, ...range, ...extra });

    beforeAll(async () => {
      ({ store, close } = await open());
      await store.start();
    });
    afterAll(async () => {
      await close?.();
    });

    it('answers ping', async () => {
      expect(await store.ping()).toBe(true);
    });

    it('reads back every value written to several measurements and databases', async () => {
      const tags = { tenant: 'acme', machine: 'saw-1' };
      const points: Point[] = [
        {
          db: 'operations',
          measurement: 'rt_cut',
          tags,
          ts: T0,
          fields: { n: 5, x: -0.125, big: 1e21, tiny: 1e-7 },
        },
        {
          db: 'operations',
          measurement: 'rt_cut',
          tags: { tenant: 'acme', machine: 'saw 2,=x"\'ü' },
          ts: T0 + 1,
          fields: { n: 6, s: 'quote " back \\ slash\nnew line, comma=equals ü€', ok: true },
        },
        { db: 'operations', measurement: 'rt_cut', tags, ts: T0 + 2, fields: { ok: false, s: '' } },
        {
          db: 'supplychain',
          measurement: 'rt_delivery',
          tags: { supplier: 's1' },
          ts: T0,
          fields: { kg: 12.5 },
        },
        { db: 'market', measurement: 'rt_price', tags: {}, ts: T0 + 5, fields: { eur: 3.25, grade: 'C45' } },
        { db: 'algorithms', measurement: 'rt_model', tags: { model: 'wear' }, ts: T0, fields: { rmse: 0.5 } },
      ];
      await store.write(points);
      for (const [db, m] of [
        ['operations', 'rt_cut'],
        ['supplychain', 'rt_delivery'],
        ['market', 'rt_price'],
        ['algorithms', 'rt_model'],
      ] as const) {
        const expected = expectedRaw(points.filter((p) => p.measurement === m));
        expect(sortRows(await raw(db, m)), m).toEqual(expected);
      }
      const some = await raw('operations', 'rt_cut', { fields: ['ok', 'nope'] });
      expect(sortRows(some).map((r) => r.values)).toEqual([
        { ok: true, nope: null },
        { ok: false, nope: null },
      ]);
      const all = sortRows(await raw('operations', 'rt_cut', { fields: [] }));
      expect(all).toEqual(expectedRaw(points.filter((p) => p.measurement === 'rt_cut')));
      expect(await raw('operations', 'no_such_measurement')).toEqual([]);
      expect(await raw('supplychain', 'rt_cut')).toEqual([]);
    });

    it('is idempotent: the same batch twice changes nothing, a re-write merges fields', async () => {
      const points = fleet('idem', 3, 50);
      await store.write(points);
      await store.write(points);
      const count = await raw('operations', 'idem', { fn: 'count', fields: ['f0', 'f1'] });
      expect(count).toEqual([{ ts: range.from, tags: {}, values: { f0: 150, f1: 150 } }]);
      const first = points[0]!;
      await store.write([{ ...first, fields: { f0: 999 } }]);
      const rows = await raw('operations', 'idem', { where: { machine: 'm0' }, from: T0, to: T0 + 1 });
      expect(rows).toEqual([{ ts: T0, tags: first.tags, values: { f0: 999, f1: first.fields.f1 } }]);
      expect((await raw('operations', 'idem', { fn: 'count', fields: ['f0'] }))[0]!.values.f0).toBe(150);
    });

    it('aggregates with every and groupBy like the numbers computed here', async () => {
      const points = fleet('agg', 3, 180); // 3 minutes per machine, T0 is not minute-aligned
      await store.write(points);
      const every = 60_000;
      for (const fn of ['mean', 'max', 'min', 'sum', 'count', 'first', 'last'] as const) {
        const rows = await raw('operations', 'agg', { fn, every, groupBy: ['machine'], fields: ['f1'] });
        const expected = aggregateHere(points, fn, 'f1', every);
        expect(
          rows.map((r) => [r.ts, r.tags]),
          fn,
        ).toEqual(expected.map((r) => [r.ts, r.tags]));
        for (const [i, r] of rows.entries()) {
          expect(r.values.f1, fn).toBeCloseTo(expected[i]!.values.f1 as number, 9);
        }
      }
      const whole = await raw('operations', 'agg', {
        fn: 'max',
        fields: ['f0', 'f1'],
        where: { machine: 'm2' },
      });
      const m2 = points.filter((p) => p.tags.machine === 'm2');
      const max = (f: string) => Math.max(...m2.map((p) => p.fields[f] as number));
      expect(whole).toEqual([{ ts: range.from, tags: {}, values: { f0: max('f0'), f1: max('f1') } }]);
      const buckets = aggregateHere(points, 'count', 'f0', every, false).reverse();
      const desc = await raw('operations', 'agg', {
        fn: 'count',
        every,
        fields: ['f0'],
        order: 'desc',
        limit: 2,
      });
      expect(desc).toEqual(buckets.slice(0, 2).map((r) => ({ ...r, values: { f0: r.values.f1 } })));
    });

    it('gives null, not 0, for a field without values in a bucket', async () => {
      const tags = { machine: 'a' };
      const bucket = (ts: number) => Math.floor(ts / 60_000) * 60_000;
      await store.write([
        { db: 'operations', measurement: 'sparse', tags, ts: T0, fields: { a: 1, s: 'x' } },
        { db: 'operations', measurement: 'sparse', tags, ts: T0 + 120_000, fields: { b: true } },
      ]);
      const count = await raw('operations', 'sparse', {
        fn: 'count',
        every: 60_000,
        fields: ['a', 'b', 's'],
      });
      expect(count).toEqual([
        { ts: bucket(T0), tags: {}, values: { a: 1, b: null, s: 1 } },
        { ts: bucket(T0 + 120_000), tags: {}, values: { a: null, b: 1, s: null } },
      ]);
      const last = await raw('operations', 'sparse', { fn: 'last', fields: ['a', 'b', 's', 'nope'] });
      expect(last).toEqual([{ ts: range.from, tags: {}, values: { a: 1, b: true, s: 'x', nope: null } }]);
      expect(await rejection(raw('operations', 'sparse', { fn: 'mean', fields: ['s'] }))).toBe(
        'QUERY_INVALID',
      );
    });

    it('bounds time ranges: from inclusive, to exclusive; order and limit', async () => {
      const tags = { machine: 'r' };
      await store.write(
        [0, 1000, 2000, 3000].map((d) => ({
          db: 'operations',
          measurement: 'rng',
          tags,
          ts: T0 + d,
          fields: { v: d },
        })),
      );
      const ts = async (q: Partial<SeriesQuery>) => (await raw('operations', 'rng', q)).map((r) => r.ts - T0);
      expect(await ts({ from: T0 + 1000, to: T0 + 3000 })).toEqual([1000, 2000]);
      expect(await ts({ from: T0, to: T0 + 1 })).toEqual([0]);
      expect(await ts({ from: T0 + 1, to: T0 + 1000 })).toEqual([]);
      expect(await ts({ order: 'desc', limit: 3 })).toEqual([3000, 2000, 1000]);
      expect(await ts({ limit: 1 })).toEqual([0]);
    });

    it('takes a new tag key on an existing measurement', async () => {
      await store.write([
        { db: 'operations', measurement: 'newtag', tags: { machine: 'a' }, ts: T0, fields: { v: 1 } },
      ]);
      await store.write([
        {
          db: 'operations',
          measurement: 'newtag',
          tags: { machine: 'a', line: 'L1' },
          ts: T0,
          fields: { v: 2 },
        },
        {
          db: 'operations',
          measurement: 'newtag',
          tags: { machine: 'a', line: 'L2' },
          ts: T0,
          fields: { v: 3 },
        },
      ]);
      const old = { ts: T0, tags: { machine: 'a' }, values: { v: 1 } };
      expect(sortRows(await raw('operations', 'newtag'))).toEqual(
        sortRows([
          old,
          { ts: T0, tags: { line: 'L1', machine: 'a' }, values: { v: 2 } },
          { ts: T0, tags: { line: 'L2', machine: 'a' }, values: { v: 3 } },
        ]),
      );
      const byLine = await raw('operations', 'newtag', { fn: 'sum', fields: ['v'], groupBy: ['line'] });
      expect(sortRows(byLine).map((r) => [r.tags, r.values.v])).toEqual([
        [{ line: 'L1' }, 2],
        [{ line: 'L2' }, 3],
        [{}, 1],
      ]);
      expect(await raw('operations', 'newtag', { where: { line: '' } })).toEqual([old]);
    });

    it('rejects invalid identifiers and values with STORE_REJECTED, bad queries with QUERY_INVALID', async () => {
      const ok: Point = {
        db: 'operations',
        measurement: 'bad',
        tags: { machine: 'a' },
        ts: T0,
        fields: { v: 1 },
      };
      const bad: Partial<Point>[] = [
        { measurement: 'bad-name' },
        { measurement: 'x"; DROP TABLE y; --' },
        { tags: { '1abc': 'x' } },
        { tags: { 'white space': 'x' } },
        { tags: { machine: 'a\nb' } },
        { tags: { machine: 'back\\slash' } },
        { fields: { time: 1 } },
        { fields: { 'a,b': 1 } },
        { fields: { v: Number.NaN } },
        { fields: { v: Number.POSITIVE_INFINITY } },
        { fields: {} },
        { ts: T0 + 0.5 },
      ];
      for (const patch of bad) {
        expect(await rejection(store.write([{ ...ok, ...patch }])), JSON.stringify(patch)).toBe(
          'STORE_REJECTED',
        );
      }
      await store.write([ok]);
      expect(await rejection(store.write([{ ...ok, ts: T0 + 1, fields: { v: 'text' } }]))).toBe(
        'STORE_REJECTED',
      );
      expect(await rejection(raw('operations', 'bad;x'))).toBe('QUERY_INVALID');
      expect(await rejection(raw('operations', 'bad', { fields: ['v"'] }))).toBe('QUERY_INVALID');
      expect(await rejection(raw('operations', 'bad', { every: 1000 }))).toBe('QUERY_INVALID');
      expect(await rejection(raw('operations', 'bad', { from: T0, to: T0 - 1 }))).toBe('QUERY_INVALID');
      expect(await rejection(raw('operations', 'bad', { where: { "m' OR '1'='1": 'x' } }))).toBe(
        'QUERY_INVALID',
      );
      expect(await raw('operations', 'bad', { where: { machine: "a' OR '1'='1" } })).toEqual([]);
      expect(await raw('operations', 'bad')).toHaveLength(1);
    });

    it('deletes points before a cutoff: per series, other measurements and later points stay', async () => {
      // 3 machines × 600 samples 1 s apart (across a minute boundary), a second measurement in
      // the same database, the same measurement name in another database
      const points = fleet('ret_raw', 3, 600);
      const minute = points.map((p) => ({ ...p, measurement: 'ret_1m', fields: { n: 1 } }));
      const elsewhere = points.map((p) => ({ ...p, db: 'supplychain' as const }));
      await store.write([...points, ...minute, ...elsewhere]);
      const count = async (db: Point['db'], m: string, where?: Record<string, string>) =>
        (
          await store.query({
            db,
            measurement: m,
            from: T0 - 60_000,
            to: T0 + 3_600_000,
            fn: 'count',
            fields: m === 'ret_1m' ? ['n'] : ['f0'],
            ...(where ? { where } : {}),
          })
        )[0]?.values[m === 'ret_1m' ? 'n' : 'f0'] ?? 0;
      const told = (r: { supported: boolean; deleted: number | null }, n: number) => {
        expect(r.supported).toBe(true);
        // SQLite counts what it deleted; InfluxDB does not say
        expect(r.deleted).toBe(store.kind === 'sqlite' ? n : null);
      };
      const cut = T0 + 250_000; // samples at T0 + 0 … 249 s are before it

      told(
        await store.deleteBefore({
          db: 'operations',
          measurement: 'ret_raw',
          before: cut,
          where: { tenant: 'acme', machine: 'm1' },
        }),
        250,
      );
      expect(await count('operations', 'ret_raw', { machine: 'm1' })).toBe(350);
      expect(await count('operations', 'ret_raw', { machine: 'm0' })).toBe(600);
      expect(await count('operations', 'ret_raw', { machine: 'm2' })).toBe(600);
      const m1 = await store.query({
        db: 'operations',
        measurement: 'ret_raw',
        from: T0 - 60_000,
        to: T0 + 3_600_000,
        where: { machine: 'm1' },
        fields: ['f0'],
        limit: 1,
      });
      expect(m1[0]!.ts).toBe(cut); // the cutoff is exclusive: the point at it stays

      // without a filter: every series of the measurement; the other measurement and database stay
      told(
        await store.deleteBefore({ db: 'operations', measurement: 'ret_raw', before: cut + 100_000 }),
        800, // m0 and m2: 350 each, m1: the 100 left after the first delete
      );
      expect(await count('operations', 'ret_raw')).toBe(3 * 250);
      expect(await count('operations', 'ret_1m')).toBe(1800);
      expect(await count('supplychain', 'ret_raw')).toBe(1800);

      // a filter no series matches, an unknown measurement, a cutoff before everything: no-ops
      told(
        await store.deleteBefore({
          db: 'operations',
          measurement: 'ret_raw',
          before: T0 + 3_600_000,
          where: { machine: 'nobody' },
        }),
        0,
      );
      told(await store.deleteBefore({ db: 'operations', measurement: 'ret_nothing', before: T0 }), 0);
      told(await store.deleteBefore({ db: 'operations', measurement: 'ret_raw', before: T0 }), 0);
      expect(await count('operations', 'ret_raw')).toBe(3 * 250);
      // written again after a delete: there again
      await store.write(points.slice(0, 10));
      expect(await count('operations', 'ret_raw')).toBe(3 * 250 + 10);

      const bad = (d: Partial<Parameters<TelemetryStore['deleteBefore']>[0]>) =>
        rejection(store.deleteBefore({ db: 'operations', measurement: 'ret_raw', before: T0, ...d }));
      expect(await bad({ measurement: 'ret raw"; --' })).toBe('QUERY_INVALID');
      expect(await bad({ db: 'nope' as Point['db'] })).toBe('QUERY_INVALID');
      expect(await bad({ before: T0 + 0.5 })).toBe('QUERY_INVALID');
      expect(await bad({ where: { "m' OR '1'='1": 'x' } })).toBe('QUERY_INVALID');
      expect(await bad({ where: { machine: '' } })).toBe('QUERY_INVALID');
      expect(await bad({ where: { machine: 'a\nb' } })).toBe('QUERY_INVALID');
      expect(await count('operations', 'ret_raw')).toBe(3 * 250 + 10);
    });

    it('writes a batch of 50,000 points and counts them exactly', async () => {
      const points = fleet('bulk', 10, 5000, 15);
      await store.write(points);
      const total = await raw('operations', 'bulk', {
        fn: 'count',
        fields: ['f0', 'f14'],
        to: T0 + 5_000_000,
      });
      expect(total).toEqual([{ ts: range.from, tags: {}, values: { f0: 50_000, f14: 50_000 } }]);
      const perMachine = await raw('operations', 'bulk', {
        fn: 'count',
        fields: ['f7'],
        groupBy: ['machine'],
        to: T0 + 5_000_000,
      });
      expect(perMachine).toHaveLength(10);
      expect(perMachine.every((r) => r.values.f7 === 5000)).toBe(true);
    });
  });
}
