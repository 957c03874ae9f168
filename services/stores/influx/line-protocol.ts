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
  private names: readonly string[] | null = null;
  /** per variable: ` name=` (first field of a line) and `,name=` */
  private first: Uint8Array[] = [];
  private next: Uint8Array[] = [];
  private longestPrefix = 0;
  private headText = '';
  private headBytes: Uint8Array = new Uint8Array(0);

  /** Appends the samples' lines to `body`, starting a new body whenever one holds `maxLines`. */
  encode(head: string, s: ScannedSamples, into: BodyBuffer, maxLines: number, close: () => BodyBuffer): void {
    let body = into;
    if (s.names !== this.names) this.learn(s.names);
    if (head !== this.headText) {
      this.headText = head;
      this.headBytes = Buffer.from(head, 'utf8');
    }
    const { bytes, fieldFrom, variable, numStart, numEnd, plain, tsStart, tsEnd } = s;
    const hb = this.headBytes;
    for (let i = 0; i < s.samples; i++) {
      if (body.lines === maxLines) body = close();
      const from = fieldFrom[i]!;
      const to = fieldFrom[i + 1]!;
      // room for the line: newline, head, prefixes, printed values (≤ 25 chars each), the
      // sample's number texts (they lie in order in the bytes), ts
      const texts = to > from ? numEnd[to - 1]! - numStart[from]! : 0;
      const need =
        hb.length + (to - from) * (this.longestPrefix + 25) + texts + (tsEnd[i]! - tsStart[i]!) + 4;
      const out = body.room(need);
      let pos = body.len;
      if (body.lines > 0) out[pos++] = 0x0a;
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
      body.len = pos;
      body.lines++;
    }
  }

  private learn(names: readonly string[]): void {
    for (const name of names) checkName(name, 'field'); // identifiers: nothing to escape
    this.first = names.map((n) => Buffer.from(` ${n}=`, 'latin1'));
    this.next = names.map((n) => Buffer.from(`,${n}=`, 'latin1'));
    this.longestPrefix = Math.max(...names.map((n) => n.length + 2));
    this.names = names;
  }
}

/**
 * The body being filled for one database: whole lines as UTF-8 bytes, sent as they are (no
 * string is built per message, joined per body and encoded again for the socket).
 */
class BodyBuffer {
  buf: Buffer;
  len = 0;
  lines = 0;
  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  /** The buffer, with room for `n` more bytes. */
  room(n: number): Buffer {
    if (this.len + n > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.len + n, 2 * this.buf.length));
      this.buf.copy(bigger, 0, 0, this.len);
      this.buf = bigger;
    }
    return this.buf;
  }

  /** Appends one line of text. */
  line(text: string): void {
    const out = this.room(3 * text.length + 1); // UTF-8 takes at most 3 bytes per UTF-16 unit
    if (this.lines > 0) out[this.len++] = 0x0a;
    this.len += out.write(text, this.len, 'utf8');
    this.lines++;
  }
}

/** One line (no trailing newline); throws STORE_REJECTED for anything InfluxDB would refuse. */
export function toLine(p: Point): string {
  return new LineWriter().line(p);
}

interface DbBodies {
  /** finished bodies */
  done: Buffer[];
  /** the body being filled */
  open: BodyBuffer;
}

/** first capacity of a body; later ones start at the size of the body before */
const FIRST_BODY_BYTES = 64 * 1024;

/**
 * Builds InfluxDB write bodies incrementally: `add` validates and serializes points right away
 * (all of them or none), grouped per database into bodies of at most `maxLines` lines. What it
 * keeps is bytes — the bodies as they will be sent — not point objects or strings: a batch that
 * waits for its write holds a few buffers outside the JavaScript heap instead of tens of thousands
 * of small objects for the garbage collector to trace (ingest encodes each message when it
 * converts it; see services/ingest).
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
    for (let i = 0; i < points.length; i++) {
      const b = this.bodiesOf(points[i]!.db);
      if (b.open.lines === this.maxLines) this.close(b);
      b.open.line(lines[i]!);
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
    const b = this.bodiesOf(db);
    // a message's lines stay in one body unless they are more than a body holds
    if (b.open.lines > 0 && b.open.lines + s.samples > this.maxLines) this.close(b);
    const open = b.open;
    const before = { len: open.len, lines: open.lines, done: b.done.length };
    try {
      this.encoder.encode(head.text, s, open, this.maxLines, () => this.close(b));
    } catch (err) {
      // all or nothing: a value that cannot be written leaves the bodies as they were (lines are
      // only ever appended, so the body that was open still holds what it held)
      b.done.length = before.done;
      b.open = open;
      open.len = before.len;
      open.lines = before.lines;
      throw err;
    }
    this.count += s.samples;
  }

  /** Bodies per database, each ≤ maxLines lines, as the UTF-8 bytes to send. */
  bodies(): Map<DatabaseName, Buffer[]> {
    const out = new Map<DatabaseName, Buffer[]>();
    for (const [db, b] of this.dbs) {
      out.set(db, b.open.lines > 0 ? [...b.done, b.open.buf.subarray(0, b.open.len)] : [...b.done]);
    }
    return out;
  }

  private bodiesOf(db: DatabaseName): DbBodies {
    let b = this.dbs.get(db);
    if (!b) {
      b = { done: [], open: new BodyBuffer(FIRST_BODY_BYTES) };
      this.dbs.set(db, b);
    }
    return b;
  }

  /** Finishes the body being filled; returns the next one. */
  private close(b: DbBodies): BodyBuffer {
    const full = b.open;
    b.done.push(full.buf.subarray(0, full.len));
    b.open = new BodyBuffer(Math.max(FIRST_BODY_BYTES, full.len + (full.len >> 3)));
    return b.open;
  }
}

/** Serializes and validates all points first, then groups them per database into bodies of ≤ maxLines lines. */
export function toBodies(points: readonly Point[], maxLines: number): Map<DatabaseName, Buffer[]> {
  const builder = new BodyBuilder(maxLines);
  builder.add(points);
  return builder.bodies();
}
