import { describe, expect, it } from 'vitest';
import { isSawBrainError } from '../../services/core/errors.js';
import type { Point, SeriesQuery } from '../../services/core/ports.js';
import { versionFromPing } from '../../services/stores/influx/influx-setup.js';
import {
  buildInfluxQL,
  parseAnswer,
  quoteIdent,
  quoteLiteral,
} from '../../services/stores/influx/influxql.js';
import {
  escapeKey,
  escapeMeasurement,
  quoteString,
  toBodies,
  toLine,
} from '../../services/stores/influx/line-protocol.js';

const base: Point = {
  db: 'operations',
  measurement: 'cut',
  tags: { machine: 'saw-1' },
  fields: { v: 1 },
  ts: 1000,
};
const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return isSawBrainError(err) ? err.code : String(err);
  }
  return 'no error';
};

describe('line protocol', () => {
  it('escapes measurements, keys and string fields', () => {
    expect(escapeMeasurement('a b,c=d')).toBe('a\\ b\\,c=d');
    expect(escapeKey('a b,c=d')).toBe('a\\ b\\,c\\=d');
    expect(quoteString('say "hi" \\o/')).toBe('"say \\"hi\\" \\\\o/"');
    expect(quoteString('')).toBe('""');
  });

  it('keeps line breaks raw inside quoted strings (InfluxDB splits lines outside quotes only)', () => {
    expect(quoteString('a\nb\r\nc')).toBe('"a\nb\r\nc"');
    expect(toLine({ ...base, fields: { s: 'x\ny' } })).toBe('cut,machine=saw-1 s="x\ny" 1000');
  });

  it('writes numbers as floats, never as i-integers, booleans as true/false, ts in ms', () => {
    const line = toLine({
      ...base,
      tags: { machine: 'saw 1,=x', empty: '' },
      fields: { n: 5, neg: -0.25, big: 1e21, tiny: 1e-7, ok: true, no: false, s: 'C45' },
      ts: 1_700_000_000_123,
    });
    expect(line).toBe(
      'cut,machine=saw\\ 1\\,\\=x n=5,neg=-0.25,big=1e+21,tiny=1e-7,ok=true,no=false,s="C45" 1700000000123',
    );
    expect(line).not.toMatch(/\di[ ,]/);
  });

  it('rejects what InfluxDB would refuse or misread with STORE_REJECTED', () => {
    const bad: Partial<Point>[] = [
      { measurement: 'cut-1' },
      { measurement: 'sqlite_master' },
      { db: 'nope' as Point['db'] },
      { tags: { 'a b': 'x' } },
      { tags: { time: 'x' } },
      { tags: { machine: 'a\\' } },
      { tags: { machine: 'a\nb' } },
      { tags: { machine: 'a\rb' } },
      { fields: {} },
      { fields: { ts: 1 } },
      { fields: { v: Number.NaN } },
      { fields: { v: Number.NEGATIVE_INFINITY } },
      { fields: { v: null as unknown as number } },
      { fields: { v: { x: 1 } as unknown as number } },
      { fields: { machine: 1 } },
      { ts: 1.5 },
    ];
    for (const patch of bad)
      expect(
        codeOf(() => toLine({ ...base, ...patch })),
        JSON.stringify(patch),
      ).toBe('STORE_REJECTED');
  });

  it('checks tag/field clashes against each point, not against the previous point of the batch', () => {
    // a field `n`, then a point whose tag is `n` and whose fields have another shape: valid
    const a: Point = { ...base, measurement: 'ledger', tags: { machine: 'saw-1' }, fields: { n: 1 } };
    const b: Point = { ...base, measurement: 'ledger', tags: { n: '2' }, fields: { v: 3 } };
    expect(toBodies([a, b], 10).get('operations')!.map(String)).toEqual([
      [`ledger,machine=saw-1 n=1 ${base.ts}`, `ledger,n=2 v=3 ${base.ts}`].join('\n'),
    ]);
    // the same shape under tags that reuse one of its field keys is still refused
    const c: Point = { ...base, measurement: 'ledger', tags: { n: '2' }, fields: { n: 4 } };
    expect(codeOf(() => toBodies([a, c], 10))).toBe('STORE_REJECTED');
  });

  it('groups bodies per database in chunks of at most maxLines lines', () => {
    const points: Point[] = [];
    for (let i = 0; i < 12; i++) points.push({ ...base, ts: i });
    points.push({ ...base, db: 'market', ts: 99 });
    const bodies = toBodies(points, 5);
    expect([...bodies.keys()]).toEqual(['operations', 'market']);
    expect(bodies.get('operations')!.map((b) => String(b).split('\n').length)).toEqual([5, 5, 2]);
    expect(bodies.get('market')!.map(String)).toEqual(['cut,machine=saw-1 v=1 99']);
  });

  it('sends bodies as UTF-8 bytes, whatever the text holds', () => {
    const p: Point = {
      ...base,
      tags: { machine: 'Säge-1', site: '東京' },
      fields: { note: 'Köln — "wet" \\ 🪚', v: 2 },
    };
    const [body] = toBodies([p, { ...p, ts: base.ts + 1 }], 10).get('operations')!;
    expect(body).toBeInstanceOf(Buffer);
    const line = `cut,machine=Säge-1,site=東京 note="Köln — \\"wet\\" \\\\ 🪚",v=2`;
    expect(body!.toString('utf8')).toBe(`${line} ${base.ts}\n${line} ${base.ts + 1}`);
  });
});

describe('InfluxQL', () => {
  const q: SeriesQuery = { db: 'operations', measurement: 'cut', from: 1000, to: 2000 };

  it('quotes identifiers and string literals', () => {
    expect(quoteIdent('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(quoteLiteral("it's a \\ path\nx")).toBe("'it\\'s a \\\\ path\\nx'");
  });

  it('builds raw queries with GROUP BY * so rows carry their tags', () => {
    expect(buildInfluxQL({ ...q, where: { machine: "o'brien" } })).toBe(
      `SELECT * FROM "cut" WHERE time >= 1000ms AND time < 2000ms AND "machine" = 'o\\'brien' GROUP BY *`,
    );
    expect(buildInfluxQL({ ...q, fields: ['a', 'b', 'a'], order: 'desc', limit: 10 })).toBe(
      'SELECT "a", "b" FROM "cut" WHERE time >= 1000ms AND time < 2000ms GROUP BY * ORDER BY time DESC LIMIT 10',
    );
  });

  it('builds aggregates aliased to the field names, bucketed, grouped and fill(none)', () => {
    expect(buildInfluxQL({ ...q, fn: 'mean', fields: ['a', 'b'], every: 60_000, groupBy: ['machine'] })).toBe(
      'SELECT mean("a") AS "a", mean("b") AS "b" FROM "cut" WHERE time >= 1000ms AND time < 2000ms' +
        ' GROUP BY time(60000ms), "machine" fill(none)',
    );
    expect(buildInfluxQL({ ...q, fn: 'count', fields: ['a'] })).toBe(
      'SELECT count("a") AS "a" FROM "cut" WHERE time >= 1000ms AND time < 2000ms',
    );
  });

  it('clamps open-ended ranges to what InfluxDB can represent', () => {
    const text = buildInfluxQL({ ...q, from: Number.MIN_SAFE_INTEGER, to: Number.MAX_SAFE_INTEGER });
    expect(text).toContain('time >= -9223372036854ms AND time < 9223372036854ms');
  });
});

describe('InfluxQL answers', () => {
  const q: SeriesQuery = { db: 'operations', measurement: 'cut', from: 0, to: 10_000 };
  const series = (tags: Record<string, string>, values: unknown[][]) => ({
    name: 'cut',
    tags,
    columns: ['time', 'a', 'b'],
    values,
  });

  it('merges chunked series, drops empty tags, orders by (time, tags) and applies limit across series', () => {
    const chunk1 = {
      results: [{ statement_id: 0, series: [series({ m: 'y' }, [[5, 1, null]])], partial: true }],
    };
    const chunk2 = {
      results: [
        { statement_id: 0, series: [series({ m: '' }, [[5, 2, true]]), series({ m: 'x' }, [[1, 3, 'z']])] },
      ],
    };
    const body = `${JSON.stringify(chunk1)}\n${JSON.stringify(chunk2)}\n`;
    expect(parseAnswer(body, q)).toEqual([
      { ts: 1, tags: { m: 'x' }, values: { a: 3, b: 'z' } },
      { ts: 5, tags: {}, values: { a: 2, b: true } },
      { ts: 5, tags: { m: 'y' }, values: { a: 1, b: null } },
    ]);
    expect(parseAnswer(body, { ...q, order: 'desc', limit: 2 }).map((r) => r.ts)).toEqual([5, 5]);
    expect(parseAnswer(body, { ...q, fields: ['b', 'nope'] })[0]!.values).toEqual({ b: 'z', nope: null });
  });

  it('stamps aggregates without every with the range start', () => {
    const body = JSON.stringify({ results: [{ series: [series({}, [[3, 1, 2]])] }] });
    expect(parseAnswer(body, { ...q, from: 7, fn: 'max', fields: ['a'] })).toEqual([
      { ts: 7, tags: {}, values: { a: 1 } },
    ]);
  });

  it('maps a missing database to [] and other errors to QUERY_INVALID', () => {
    expect(parseAnswer('{"results":[{"statement_id":0,"error":"database not found: x"}]}', q)).toEqual([]);
    expect(parseAnswer('{"results":[{"statement_id":0}]}', q)).toEqual([]);
    expect(codeOf(() => parseAnswer('{"results":[{"error":"unsupported mean iterator type"}]}', q))).toBe(
      'QUERY_INVALID',
    );
  });
});

describe('version detection from /ping', () => {
  const ping = (headers: Record<string, string>, body = '') =>
    versionFromPing({ status: 204, headers, body });
  it('reads X-Influxdb-Version / X-Influxdb-Build', () => {
    expect(ping({ 'x-influxdb-version': '1.6.7~rc0', 'x-influxdb-build': 'OSS' })).toBe('1');
    expect(ping({ 'x-influxdb-version': '2.7.11' })).toBe('2');
    expect(ping({ 'x-influxdb-version': 'v2.7.11' })).toBe('2');
    expect(ping({ 'x-influxdb-version': 'v3.0.1' })).toBe('3');
    expect(ping({ 'x-influxdb-build': 'Enterprise' })).toBe('3');
    expect(ping({}, '{"version":"3.2.0","revision":"abc"}')).toBe('3');
    expect(ping({})).toBeNull();
  });
});
