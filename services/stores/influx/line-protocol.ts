import { SawBrainError } from '../../core/errors.js';
import type { DatabaseName, Point, ScannedSamples } from '../../core/ports.js';
import { badField, checkDb, checkName, checkTagValue, checkTs } from '../validate.js';

/**
 * InfluxDB line protocol, the subset every version (1.x, 2.x, 3.x) reads the same way:
 * - measurement: `,` and space escaped; tag keys, tag values, field keys: `,` `=` and space escaped
 *   (names are validated identifiers anyway; tag values must not hold `\`, CR or LF, see validate.ts);
 * - string fields: double-quoted, `"` and `\` backslash-escaped; CR/LF are written raw *inside the
 *   quotes*: InfluxDB's line splitter honours quotes (checked against influxd 1.6.7), whereas `\n`
 *   would read back as a literal backslash + n;
 * - numbers: always floats (`5` not `5i`), so a field never flips type between int and float;
 *   NaN/±Infinity are rejected (InfluxDB cannot store them);
 * - booleans: `true`/`false`; timestamps: integer epoch ms (write with precision=ms);
 * - an empty tag value means "no tag" and is left out (InfluxDB rejects `t=`).
 */
const MEASUREMENT_SPECIAL = /[, ]/g;
const KEY_SPECIAL = /[,= ]/g;
const STRING_SPECIAL = /["\\]/g;

export function escapeMeasurement(name: string): string {
  return name.replace(MEASUREMENT_SPECIAL, '\\$&');
}

/** tag keys, tag values and field keys */
export function escapeKey(value: string): string {
  return value.replace(KEY_SPECIAL, '\\$&');
}

export function quoteString(value: string): string {
  return `"${value.replace(STRING_SPECIAL, '\\$&')}"`;
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) throw new SawBrainError('STORE_REJECTED', `not a finite number: ${value}`);
  return String(value);
}

interface Head {
  measurement: string;
  text: string;
  tagKeys: string[];
  /** the field names (ScannedSamples.names) already checked against the tag keys */
  checkedNames?: readonly string[];
}

/**
 * Serializes points of one batch. Hot path: the `measurement,tags` head is computed once per tags
 * object (ingest shares one per message), the field keys and their ` key=` prefixes once per field
 * shape; per point only the values are formatted.
 */
class LineWriter {
  private readonly heads = new Map<object, Head>();
  private head: Head = { measurement: '', text: '', tagKeys: [] };
  private keys: string[] = [];
  private keySet = new Set<string>();
  private prefixes: string[] = [];

  line(p: Point): string {
    checkDb(p.db);
    checkTs(p.ts);
    const newHead = p.measurement !== this.head.measurement || this.heads.get(p.tags) !== this.head;
    if (newHead) this.useHead(p.measurement, p.tags);
    let fields = this.fields(p);
    if (fields === null) {
      this.learnShape(p); // checks the new shape against this point's tags
      fields = this.fields(p)!;
    } else if (newHead) {
      // a known shape under new tags: the tags must not reuse a field key of this point
      for (const key of this.head.tagKeys) if (this.keySet.has(key)) throw bothTagAndField(key);
    }
    return `${this.head.text}${fields} ${p.ts}`;
  }

  /** The validated `measurement,tags` head (cached per tags object). */
  headOf(measurement: string, tags: Record<string, string>): Head {
    if (measurement !== this.head.measurement || this.heads.get(tags) !== this.head)
      this.useHead(measurement, tags);
    return this.head;
  }

  private useHead(measurement: string, tags: Record<string, string>): void {
    let head = this.heads.get(tags);
    if (!head || head.measurement !== measurement) {
      checkName(measurement, 'measurement');
      let text = escapeMeasurement(measurement);
      // sorted by key, as InfluxDB stores them: it need not sort every line itself
      for (const key of Object.keys(tags).sort()) {
        const value = tags[key]!;
        checkName(key, 'tag');
        checkTagValue(key, value);
        if (value !== '') text += `,${key}=${escapeKey(value)}`; // keys are identifiers: nothing to escape
      }
      head = { measurement, text, tagKeys: Object.keys(tags) };
      this.heads.set(tags, head);
    }
    this.head = head;
  }

  private learnShape(p: Point): void {
    const keys = Object.keys(p.fields);
    if (keys.length === 0)
      throw new SawBrainError('STORE_REJECTED', `a point of ${p.measurement} has no fields`);
    for (const key of keys) {
      checkName(key, 'field'); // identifiers: written as they are
      if (Object.hasOwn(p.tags, key)) throw bothTagAndField(key);
    }
    this.keys = keys;
    this.keySet = new Set(keys);
    this.prefixes = keys.map((key, i) => `${i === 0 ? ' ' : ','}${key}=`);
  }

  /** ` f1=v1,f2=v2…`, or null when the point's field keys are not the current shape's. */
  private fields(p: Point): string | null {
    const { keys, prefixes } = this;
    const fields = p.fields;
    let out = '';
    let k = 0;
    for (const key in fields) {
      if (keys[k] !== key) return null;
      const value = fields[key];
      const prefix = prefixes[k]!;
      if (typeof value === 'number' && Number.isFinite(value)) out += prefix + value;
      else if (typeof value === 'string') out += prefix + quoteString(value);
      else if (typeof value === 'boolean') out += prefix + (value ? 'true' : 'false');
      else throw badField(key, value);
      k++;
    }
    return k === keys.length && k > 0 ? out : null;
  }
}

function bothTagAndField(key: string): SawBrainError {
  return new SawBrainError('STORE_REJECTED', `${key} is both a tag and a field`);
}

/**
 * Lines of scanned samples (see ScannedSamples) written byte by byte: the numbers' text is copied
 * from the message as the device sent it — a JSON number without exponent is a valid line-protocol
 * float that InfluxDB reads to the same double — so no value is parsed or printed again; the rare
 * others (exponents, −0) are printed from their value as `LineWriter` would.
 */
class SampleEncoder {
  private out: Buffer = Buffer.allocUnsafe(1 << 16);
  private names: readonly string[] | null = null;
  /** per variable: ` name=` (first field of a line) and `,name=` */
  private first: Uint8Array[] = [];
  private next: Uint8Array[] = [];
  private longestPrefix = 0;
  private headText = '';
  private headBytes: Uint8Array = new Uint8Array(0);
  private headAscii = true;

  encode(head: string, s: ScannedSamples): string {
    if (s.names !== this.names) this.learn(s.names);
    if (head !== this.headText) {
      this.headText = head;
      this.headBytes = Buffer.from(head, 'utf8');
      this.headAscii = this.headBytes.length === head.length;
    }
    const { bytes, fieldFrom, variable, numStart, numEnd, plain, tsStart, tsEnd } = s;
    const hb = this.headBytes;
    let out = this.out;
    let pos = 0;
    for (let i = 0; i < s.samples; i++) {
      const from = fieldFrom[i]!;
      const to = fieldFrom[i + 1]!;
      // room for the line: head, prefixes, printed values (≤ 25 chars each), the sample's number
      // texts (they lie in order in the bytes), ts
      const texts = to > from ? numEnd[to - 1]! - numStart[from]! : 0;
      const need =
        hb.length + (to - from) * (this.longestPrefix + 25) + texts + (tsEnd[i]! - tsStart[i]!) + 4;
      if (pos + need > out.length) out = this.grow(pos, pos + need);
      if (i > 0) out[pos++] = 0x0a;
      out.set(hb, pos);
      pos += hb.length;
      for (let f = from; f < to; f++) {
        const prefix = f === from ? this.first[variable[f]!]! : this.next[variable[f]!]!;
        for (let j = 0; j < prefix.length; j++) out[pos++] = prefix[j]!;
        if (plain[f] === 1) {
          const end = numEnd[f]!;
          for (let j = numStart[f]!; j < end; j++) out[pos++] = bytes[j]!;
        } else {
          const text = formatNumber(s.valueAt(f));
          for (let j = 0; j < text.length; j++) out[pos++] = text.charCodeAt(j);
        }
      }
      out[pos++] = 0x20;
      const end = tsEnd[i]!;
      for (let j = tsStart[i]!; j < end; j++) out[pos++] = bytes[j]!;
    }
    return out.toString(this.headAscii ? 'latin1' : 'utf8', 0, pos);
  }

  private learn(names: readonly string[]): void {
    for (const name of names) checkName(name, 'field'); // identifiers: nothing to escape
    this.first = names.map((n) => Buffer.from(` ${n}=`, 'latin1'));
    this.next = names.map((n) => Buffer.from(`,${n}=`, 'latin1'));
    this.longestPrefix = Math.max(...names.map((n) => n.length + 2));
    this.names = names;
  }

  private grow(used: number, need: number): Buffer {
    const bigger = Buffer.allocUnsafe(Math.max(need, this.out.length * 2));
    this.out.copy(bigger, 0, 0, used);
    this.out = bigger;
    return bigger;
  }
}

/** One line (no trailing newline); throws STORE_REJECTED for anything InfluxDB would refuse. */
export function toLine(p: Point): string {
  return new LineWriter().line(p);
}

interface DbBodies {
  /** finished bodies */
  done: string[];
  /** chunks of the body being filled (each a flat string of whole lines) and their line count */
  chunks: string[];
  lines: number;
}

/**
 * Builds InfluxDB write bodies incrementally: `add` validates and serializes points right away
 * (all of them or none), grouped per database into bodies of at most `maxLines` lines. What it
 * keeps is text — one flat string per `add` — not point objects: a batch that waits for its write
 * holds a few strings instead of tens of thousands of small objects for the garbage collector to
 * trace (ingest encodes each message when it converts it; see services/ingest).
 */
export class BodyBuilder {
  private readonly writer = new LineWriter();
  private readonly encoder = new SampleEncoder();
  private readonly dbs = new Map<DatabaseName, DbBodies>();
  private count = 0;

  constructor(private readonly maxLines: number) {}

  /** Points added so far. */
  get points(): number {
    return this.count;
  }

  /** Validates and serializes `points`; throws STORE_REJECTED and keeps nothing if one is bad. */
  add(points: readonly Point[]): void {
    const lines = points.map((p) => this.writer.line(p));
    let from = 0;
    while (from < points.length) {
      const db = points[from]!.db;
      let to = from + 1;
      while (to < points.length && points[to]!.db === db) to++;
      this.append(db, lines, from, to);
      from = to;
    }
    this.count += points.length;
  }

  /** Scanned samples as points of `measurement` with `tags` (see StoreBatch.addSamples). */
  addSamples(db: DatabaseName, measurement: string, tags: Record<string, string>, s: ScannedSamples): void {
    checkDb(db);
    if (s.samples === 0) return;
    const head = this.writer.headOf(measurement, tags);
    if (head.checkedNames !== s.names) {
      for (const key of head.tagKeys) if (s.names.includes(key)) throw bothTagAndField(key);
      head.checkedNames = s.names;
    }
    const text = this.encoder.encode(head.text, s);
    const b = this.bodiesOf(db);
    if (b.lines > 0 && b.lines + s.samples > this.maxLines) this.close(b);
    if (s.samples > this.maxLines) this.append(db, text.split('\n'), 0, s.samples);
    else {
      b.chunks.push(text);
      b.lines += s.samples;
    }
    this.count += s.samples;
  }

  /** Bodies per database, each ≤ maxLines lines. */
  bodies(): Map<DatabaseName, string[]> {
    const out = new Map<DatabaseName, string[]>();
    for (const [db, b] of this.dbs) {
      out.set(db, b.lines > 0 ? [...b.done, b.chunks.join('\n')] : [...b.done]);
    }
    return out;
  }

  private bodiesOf(db: DatabaseName): DbBodies {
    let b = this.dbs.get(db);
    if (!b) {
      b = { done: [], chunks: [], lines: 0 };
      this.dbs.set(db, b);
    }
    return b;
  }

  /** Finishes the body being filled. */
  private close(b: DbBodies): void {
    b.done.push(b.chunks.join('\n'));
    b.chunks = [];
    b.lines = 0;
  }

  private append(db: DatabaseName, lines: string[], from: number, to: number): void {
    const b = this.bodiesOf(db);
    while (from < to) {
      if (b.lines === this.maxLines) this.close(b);
      const n = Math.min(to - from, this.maxLines - b.lines);
      b.chunks.push(lines.slice(from, from + n).join('\n'));
      b.lines += n;
      from += n;
    }
  }
}

/** Serializes and validates all points first, then groups them per database into bodies of ≤ maxLines lines. */
export function toBodies(points: readonly Point[], maxLines: number): Map<DatabaseName, string[]> {
  const builder = new BodyBuilder(maxLines);
  builder.add(points);
  return builder.bodies();
}
