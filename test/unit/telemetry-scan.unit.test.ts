import { describe, expect, it } from 'vitest';
import { parseTopic, TELEMETRY_VARIABLES, Telemetry } from '../../services/contracts/index.js';
import { TelemetryScan } from '../../services/contracts/telemetry-scan.js';
import { messageToPoints } from '../../services/ingest/points.js';
import { BodyBuilder } from '../../services/stores/influx/line-protocol.js';
import { mutate, NAMES, prng, validPayload } from '../helpers/telemetry-payloads.js';

const ADDRESS = parseTopic('sawbrain/v1/t1/M-1/telemetry')!;
const TAGS = { tenant: 't1', machine: 'M-1' };

/** A defect in the JSON text itself (the object mutations cannot write these). */
function mutateText(text: string, r: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const numbers = [...text.matchAll(/(?<=:)-?\d[\d.eE+-]*/g)];
  const at = (re: RegExp) => {
    const hits = [...text.matchAll(re)];
    return hits.length ? pick(hits) : null;
  };
  const splice = (index: number, remove: number, insert: string) =>
    text.slice(0, index) + insert + text.slice(index + remove);
  switch (Math.floor(r() * 13)) {
    case 0: {
      // JSON whitespace around any structural character
      const m = at(/[,:{}[\]]/g);
      return m ? splice(m.index! + (r() < 0.5 ? 0 : 1), 0, pick([' ', '\n', '\t', '\r\n', '  '])) : text;
    }
    case 1: {
      // another spelling of a number, valid JSON or not
      const m = numbers.length ? pick(numbers) : null;
      if (!m) return text;
      const v = Number(m[0]);
      const spelling = pick([
        v.toExponential(),
        v.toExponential(3).toUpperCase(),
        `${m[0]}0000`,
        m[0].includes('.') ? `${m[0]}00000000000000000001` : `${m[0]}.5`,
        `${v * 1e-7}e7`,
        '-0',
        '-0.0',
        '0.0',
        '1.',
        '.5',
        '+1',
        '01',
        '1e',
        '1e+',
        '-',
        'NaN',
        'Infinity',
        '1.7976931348623157e309',
        '123456789012345678901234567890',
      ]);
      return splice(m.index!, m[0].length, spelling);
    }
    case 2: {
      // an escaped key or value: same meaning to JSON
      const m = at(/"(ts|power|bladeSpeed|bootId|samples)"/g);
      if (!m) return text;
      const key = m[1]!;
      return splice(
        m.index! + 1,
        key.length,
        `\\u${key.charCodeAt(0).toString(16).padStart(4, '0')}${key.slice(1)}`,
      );
    }
    case 3: {
      // a duplicate key inside a sample (JSON.parse keeps the last)
      const m = at(/\{"ts"/g);
      return m ? splice(m.index! + 1, 0, `"${pick(NAMES)}":${pick(['1', '-5', '1e3'])},`) : text;
    }
    case 4:
      return text.replace(
        /"bootId":"[^"]*"/,
        `"bootId":${pick(['"bööt"', '"bo\\"ot"', '"b\\u00f6"', '"\\n"', '""'])}`,
      );
    case 5:
      return text + pick(['x', ',', ' ', '\n', '}', '\u0000']);
    case 6:
      return pick(['\ufeff', ' ', '\n', '[']) + text;
    case 7:
      return text.slice(0, Math.floor(r() * text.length));
    case 8:
      return text.replace(/"ts":(\d+)/, `"ts":${pick(['$1.0', '1.75e12', '-1', '$1.5', '01'])}`);
    case 9:
      return text.replace(
        /"seq":\d+/,
        `"seq":${pick(['9007199254740991', '9007199254740992', '9007199254740993', '1e3', '-0', '0'])}`,
      );
    case 10:
      return text.replace(/"v":1/, `"v":${pick(['1.0', '2', '"1"', '1e0', '01'])}`);
    case 11: {
      // a hair outside (or exactly on) a variable's bounds, as text
      const m = at(/"([a-zA-Z]+)":(-?[\d.eE+-]+)/g);
      const spec = m && TELEMETRY_VARIABLES[m[1] as keyof typeof TELEMETRY_VARIABLES];
      if (!m || !spec) return text;
      const value = pick([
        `${spec.max}.000000000001`,
        // more than 15 significant digits: decided on the exact value near a bound
        `${spec.max}.0000000000000001`,
        `${spec.max}.00000000001234567`,
        `${spec.max - 1}.99999999999999999`,
        `-${Math.abs(spec.min)}.0000000000000000001`,
        `-${Math.abs(spec.min)}.00000000000123456789`,
        `${spec.max}`,
        `${spec.max}.0`,
        `-${Math.abs(spec.min)}.000000000001`, // every minimum is ≤ 0
        `${spec.min}`,
        `${spec.max}e0`,
        `${spec.max}0e-1`,
      ]);
      return splice(m.index!, m[0].length, `"${m[1]}":${value}`);
    }
    default:
      return text;
  }
}

/** `head` → {fields as numbers, ts} of each line, for comparing two encodings of the same points. */
function readLines(body: string) {
  return body.split('\n').map((line) => {
    const [head, fields, ts] = line.split(' ') as [string, string, string];
    const values: Record<string, number> = {};
    for (const kv of fields.split(',')) {
      const [k, text] = kv.split('=') as [string, string];
      expect(values, `${k} twice in ${line}`).not.toHaveProperty(k);
      expect(text, line).toMatch(/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/); // a line-protocol float
      values[k] = Number(text);
    }
    return { head, values, ts };
  });
}

describe('telemetry scanner (storage fast path)', () => {
  it('accepts only what JSON.parse + the schema accept, with the same values and line protocol', () => {
    const r = prng(20261130);
    const scan = new TelemetryScan();
    let valid = 0;
    let validScanned = 0;
    let scanned = 0;
    for (let i = 0; i < 5000; i++) {
      const base = validPayload(r);
      if (r() < 0.8) delete base.units; // a units statement always takes the general path
      let text = JSON.stringify(i % 5 === 0 ? base : i % 5 < 3 ? mutate(base, r) : base) ?? 'null';
      const textDefects = i % 5 === 0 ? 0 : i % 5 < 3 ? (r() < 0.3 ? 1 : 0) : 1 + Math.floor(r() * 2);
      for (let d = 0; d < textDefects; d++) text = mutateText(text, r);
      const bytes = Buffer.from(text, 'utf8');
      let zod: ReturnType<typeof Telemetry.safeParse> | null = null;
      try {
        zod = Telemetry.safeParse(JSON.parse(bytes.toString('utf8')));
      } catch {
        zod = null; // not JSON
      }
      if (zod?.success) valid++;
      if (!scan.scan(bytes)) continue;
      scanned++;
      expect(zod?.success, text).toBe(true);
      if (!zod?.success) continue;
      if (textDefects === 0) validScanned++;
      const data = zod.data;
      expect([scan.ts, scan.bootId, scan.seq, scan.samples], text).toStrictEqual([
        data.ts,
        data.bootId,
        data.seq,
        data.samples.length,
      ]);
      for (let s = 0; s < scan.samples; s++) {
        const fields: Record<string, number> = {};
        for (let f = scan.fieldFrom[s]!; f < scan.fieldFrom[s + 1]!; f++) {
          const name = scan.names[scan.variable[f]!]!;
          expect(fields, `${name} twice in ${text}`).not.toHaveProperty(name);
          fields[name] = scan.valueAt(f);
        }
        const { ts, ...expected } = data.samples[s]!;
        expect(scan.sampleTs[s], text).toBe(ts);
        expect(fields, text).toStrictEqual(expected);
      }
      // the line protocol copied from the bytes reads back as the one printed from the values
      const fast = new BodyBuilder(10_000);
      fast.addSamples('operations', 'telemetry', TAGS, scan);
      const slow = new BodyBuilder(10_000);
      slow.add(
        messageToPoints(ADDRESS, { kind: 'telemetry', payload: data }).map((p) => ({ ...p, tags: TAGS })),
      );
      const read = (b: BodyBuilder) => readLines(b.bodies().get('operations')!.join('\n'));
      expect(read(fast), text).toStrictEqual(read(slow));
    }
    // it must carry the valid traffic as devices write it, not fall back on all of it
    expect(validScanned).toBeGreaterThan(0.95 * 1000 * 0.8);
    expect(scanned).toBeLessThanOrEqual(valid);
  });

  it('writes the numbers as the device sent them, and prints only what it cannot copy', () => {
    const scan = new TelemetryScan();
    const text =
      '{"v":1,"ts":1750000000000,"bootId":"b","seq":7,"samples":[' +
      '{"ts":1750000000000,"power":1.50,"bladeDeviation":-0.0,"feedForce":1E3,"vibration":0.1000000000000000055511151231257827}]}';
    expect(scan.scan(Buffer.from(text))).toBe(true);
    const b = new BodyBuilder(10);
    b.addSamples('operations', 'telemetry', { tenant: 't1', machine: 'M-1' }, scan);
    expect(b.bodies().get('operations')!.map(String)).toStrictEqual([
      'telemetry,machine=M-1,tenant=t1 power=1.50,bladeDeviation=0,feedForce=1000,vibration=0.1000000000000000055511151231257827 1750000000000',
    ]);
  });

  it('reads numbers of any length without failing, exactly', () => {
    const scan = new TelemetryScan();
    const long = [
      `0.${'0'.repeat(300_000)}1`,
      `1${'0'.repeat(2)}.${'9'.repeat(300_000)}`,
      `-0.${'0'.repeat(70_000)}`,
    ];
    for (const n of long) {
      const text = `{"v":1,"ts":1750000000000,"bootId":"b","seq":7,"samples":[{"ts":1750000000000,"bladeDeviation":${n}}]}`;
      const zod = Telemetry.safeParse(JSON.parse(text));
      expect(scan.scan(Buffer.from(text))).toBe(zod.success);
      if (zod.success) expect(scan.valueAt(0)).toBe(zod.data.samples[0]!.bladeDeviation);
    }
  });

  it('takes at most the standard’s 5,000 samples', () => {
    const scan = new TelemetryScan();
    const message = (n: number) =>
      Buffer.from(
        `{"v":1,"ts":1750000000000,"bootId":"b","seq":7,"samples":[${Array.from(
          { length: n },
          (_, i) => `{"ts":${1750000000000 + i},"power":${i % 500}}`,
        ).join(',')}]}`,
      );
    expect(scan.scan(message(5000))).toBe(true);
    expect(scan.samples).toBe(5000);
    expect(scan.scan(message(5001))).toBe(false);
    expect(Telemetry.safeParse(JSON.parse(message(5001).toString())).success).toBe(false);
  });

  it('splits scanned samples across bodies of at most maxLines lines', () => {
    const scan = new TelemetryScan();
    const samples = Array.from({ length: 7 }, (_, i) => `{"ts":${1750000000000 + i},"power":${i}}`);
    const text = `{"v":1,"ts":1750000000000,"bootId":"b","seq":7,"samples":[${samples.join(',')}]}`;
    expect(scan.scan(Buffer.from(text))).toBe(true);
    const b = new BodyBuilder(3);
    b.addSamples('operations', 'telemetry', { tenant: 't1', machine: 'M-1' }, scan);
    b.addSamples('operations', 'telemetry', { tenant: 't1', machine: 'M-1' }, scan);
    const bodies = b.bodies().get('operations')!;
    expect(bodies.map((x) => String(x).split('\n').length)).toStrictEqual([3, 3, 1, 3, 3, 1]);
    expect(b.points).toBe(14);
  });
});
