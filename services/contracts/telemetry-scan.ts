import { STANDARD_VERSION } from './messages.js';
import { TELEMETRY_VARIABLE_NAMES, TELEMETRY_VARIABLES } from './variables.js';

/**
 * A one-pass scanner for the telemetry message's JSON bytes, for the storage path. It reads the
 * payload without building objects and keeps, per sample field, the variable, its value and where
 * its number text lies in the bytes, so that a store can copy the text the device sent instead of
 * parsing it into a double and printing it again (together ~40 µs of a 10 × 17 message; the scan
 * is a fraction of that).
 *
 * Like the fast check (fast-telemetry.ts) it answers one question — "is this certainly a valid
 * telemetry payload?" — and says no whenever it is not sure: escapes in strings, non-ASCII,
 * exponents or fractions in integers, a `units` statement, duplicate or unknown keys. A "no" costs
 * only the general path (JSON.parse + the schema), which stays the authority and writes the error.
 * A test (test/unit/telemetry-scan) checks "accepted here ⇒ the schema accepts the same bytes
 * with the same values" on generated and mutated payloads.
 */

export const SCAN_VARIABLES: readonly string[] = TELEMETRY_VARIABLE_NAMES;
const MIN = Float64Array.from(TELEMETRY_VARIABLE_NAMES, (n) => TELEMETRY_VARIABLES[n].min);
const MAX = Float64Array.from(TELEMETRY_VARIABLE_NAMES, (n) => TELEMETRY_VARIABLES[n].max);
/** a sample's keys: the variables, then `ts` */
const KEY_BYTES = [...TELEMETRY_VARIABLE_NAMES, 'ts'].map((n) => Buffer.from(n, 'latin1'));
const TS_KEY = TELEMETRY_VARIABLE_NAMES.length;
const ORDER_MAX = 32;
const EPOCH_MIN = 946_684_800_000;
const EPOCH_MAX = 4_102_444_800_000;
const SEQ_MAX = 2 ** 53 - 1;
const BOOT_ID_MAX = 64;
const SAMPLES_MAX = 5000;
/** 10^0 … 10^22: exactly representable, so m × 10^k and m / 10^k round correctly (m < 2^53) */
const POW10 = Float64Array.from({ length: 23 }, (_, k) => 10 ** k);

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const BACKSLASH = 0x5c;

/** variable index by a hash of the key's bytes (verified byte by byte) */
const byHash = new Map<number, number[]>();
function keyHash(b: Uint8Array, s: number, e: number): number {
  const n = e - s;
  return ((n * 131 + b[s]!) * 131 + b[s + (n >> 1)]!) * 131 + b[e - 1]!;
}
for (let i = 0; i < KEY_BYTES.length; i++) {
  const nb = KEY_BYTES[i]!;
  const h = keyHash(nb, 0, nb.length);
  const list = byHash.get(h);
  if (list) list.push(i);
  else byHash.set(h, [i]);
}
if (TS_KEY > 31) throw new Error('telemetry-scan: the duplicate check needs ≤ 31 variables');

/** The result of a successful scan; the arrays are reused by the next scan of the same object. */
export class TelemetryScan {
  readonly names = SCAN_VARIABLES;
  bytes: Uint8Array = new Uint8Array(0);
  ts = 0;
  bootId = '';
  seq = 0;
  samples = 0;
  /** fields of all samples together */
  fields = 0;
  /** per sample: timestamp, and where its digits lie */
  sampleTs = new Float64Array(16);
  tsStart = new Uint32Array(16);
  tsEnd = new Uint32Array(16);
  /** fields of sample s are [fieldFrom[s], fieldFrom[s + 1]) */
  fieldFrom = new Uint32Array(17);
  /** per field: index into SCAN_VARIABLES, value (see valueAt), number text [numStart, numEnd) */
  variable = new Uint8Array(256);
  private value = new Float64Array(256);
  /** 1 when value[f] is exact, 0 when it is the approximation that sufficed for the range check */
  private exact = new Uint8Array(256);
  numStart = new Uint32Array(256);
  numEnd = new Uint32Array(256);
  /** 1 when the text is a plain decimal a line-protocol float can take as it is (no exponent, not −0) */
  plain = new Uint8Array(256);
  /** the keys of the last sample, in order (indices into KEY_BYTES; −1 unknown) */
  private readonly order = new Int8Array(ORDER_MAX).fill(-1);

  /** The exact value of field `f`. */
  valueAt(f: number): number {
    return this.exact[f] === 1
      ? this.value[f]!
      : Number(text(this.bytes, this.numStart[f]!, this.numEnd[f]!, ''));
  }

  /** Scans `bytes`; true only if they are certainly a valid telemetry payload (see above). */
  scan(bytes: Uint8Array): boolean {
    this.bytes = bytes;
    try {
      return this.envelope(bytes);
    } catch {
      // BAIL — or anything unexpected: the general path (JSON.parse + zod) decides, so a payload
      // the scanner trips over can never stop ingest
      return false;
    }
  }

  private envelope(b: Uint8Array): boolean {
    let p = ws(b, 0);
    if (b[p] !== LBRACE) return false;
    let seen = 0; // bits: v, ts, bootId, seq, samples
    p = ws(b, p + 1);
    if (b[p] === RBRACE) return false;
    for (;;) {
      if (b[p] !== QUOTE) return false;
      const ks = p + 1;
      const ke = stringEnd(b, ks);
      p = ws(b, ke + 1);
      if (b[p] !== COLON) return false;
      p = ws(b, p + 1);
      const bit = envelopeKey(b, ks, ke);
      if (bit === 0 || seen & bit) return false;
      seen |= bit;
      switch (bit) {
        case 1: // v
          if (integer(b, p) !== STANDARD_VERSION) return false;
          p = at.end;
          break;
        case 2: {
          // ts
          const ts = integer(b, p);
          if (ts < EPOCH_MIN || ts > EPOCH_MAX) return false;
          this.ts = ts;
          p = at.end;
          break;
        }
        case 4: {
          // bootId
          if (b[p] !== QUOTE) return false;
          const e = stringEnd(b, p + 1);
          const n = e - p - 1;
          if (n < 1 || n > BOOT_ID_MAX) return false;
          this.bootId = text(b, p + 1, e, this.bootId);
          p = e + 1;
          break;
        }
        case 8: {
          // seq
          const seq = integer(b, p);
          if (seq > SEQ_MAX) return false;
          this.seq = seq;
          p = at.end;
          break;
        }
        case 16: // samples
          p = this.sampleArray(b, p);
          break;
      }
      p = ws(b, p);
      if (b[p] === COMMA) {
        p = ws(b, p + 1);
        continue;
      }
      if (b[p] !== RBRACE) return false;
      p = ws(b, p + 1);
      return p === b.length && seen === 31;
    }
  }

  private sampleArray(b: Uint8Array, p: number): number {
    if (b[p] !== LBRACKET) throw BAIL;
    p = ws(b, p + 1);
    let s = 0;
    let f = 0;
    for (;;) {
      if (s === SAMPLES_MAX) throw BAIL;
      if (s + 1 >= this.sampleTs.length) this.growSamples();
      this.fieldFrom[s] = f;
      if (b[p] !== LBRACE) throw BAIL;
      p = ws(b, p + 1);
      let seen = 0;
      let hasTs = false;
      for (let j = 0; ; j++) {
        if (b[p] !== QUOTE) throw BAIL;
        const ks = p + 1;
        // a sender writes its samples' keys in the same order: try the previous sample's key first
        let k = j < ORDER_MAX ? this.order[j]! : -1;
        let ke: number;
        if (k >= 0 && isKey(b, ks, KEY_BYTES[k]!)) ke = ks + KEY_BYTES[k]!.length;
        else {
          ke = stringEnd(b, ks);
          k = keyOf(b, ks, ke);
          if (j < ORDER_MAX) this.order[j] = k;
        }
        p = ws(b, ke + 1);
        if (b[p] !== COLON) throw BAIL;
        p = ws(b, p + 1);
        if (k === TS_KEY) {
          if (hasTs) throw BAIL;
          hasTs = true;
          this.tsStart[s] = p;
          const ts = integer(b, p);
          if (ts < EPOCH_MIN || ts > EPOCH_MAX) throw BAIL;
          p = at.end;
          this.tsEnd[s] = p;
          this.sampleTs[s] = ts;
        } else {
          if (k < 0 || seen & (1 << k)) throw BAIL;
          seen |= 1 << k;
          if (f === this.variable.length) this.growFields();
          this.numStart[f] = p;
          number(b, p);
          let v = NUM[0]!;
          let exact = at.exact;
          if (!exact && !clearlyInside(v, MIN[k]!, MAX[k]!)) {
            v = Number(text(b, p, at.end, '')); // JSON's grammar is a subset of Number's: exact
            exact = true;
          }
          // `!(a && b)` so that NaN fails too (a huge exponent gives ±Infinity: out of range)
          if (!(v >= MIN[k]! && v <= MAX[k]!)) throw BAIL;
          p = at.end;
          this.numEnd[f] = p;
          this.variable[f] = k;
          this.value[f] = v;
          this.exact[f] = exact ? 1 : 0;
          this.plain[f] = at.plain ? 1 : 0;
          f++;
        }
        p = ws(b, p);
        if (b[p] === COMMA) {
          p = ws(b, p + 1);
          continue;
        }
        if (b[p] !== RBRACE) throw BAIL;
        break;
      }
      if (!hasTs || seen === 0) throw BAIL;
      s++;
      p = ws(b, p + 1);
      if (b[p] === COMMA) {
        p = ws(b, p + 1);
        continue;
      }
      if (b[p] !== RBRACKET) throw BAIL;
      this.fieldFrom[s] = f;
      this.samples = s;
      this.fields = f;
      return p + 1;
    }
  }

  private growSamples(): void {
    const n = this.sampleTs.length * 2;
    this.sampleTs = grow(this.sampleTs, new Float64Array(n));
    this.tsStart = grow(this.tsStart, new Uint32Array(n));
    this.tsEnd = grow(this.tsEnd, new Uint32Array(n));
    this.fieldFrom = grow(this.fieldFrom, new Uint32Array(n + 1));
  }

  private growFields(): void {
    const n = this.variable.length * 2;
    this.variable = grow(this.variable, new Uint8Array(n));
    this.value = grow(this.value, new Float64Array(n));
    this.numStart = grow(this.numStart, new Uint32Array(n));
    this.numEnd = grow(this.numEnd, new Uint32Array(n));
    this.plain = grow(this.plain, new Uint8Array(n));
    this.exact = grow(this.exact, new Uint8Array(n));
  }
}

function grow<T extends Float64Array | Uint32Array | Uint8Array>(from: T, to: T): T {
  to.set(from as never);
  return to;
}

/** thrown inside a scan when the bytes are not certainly valid; caught in `scan` */
const BAIL = new Error('telemetry-scan: not certain');

/**
 * Side outputs of `integer` and `number`, which return the value: where it ended, and whether the
 * text is plain. (Fields of one object: module-level `let`s would box every double they hold.)
 */
const at = { end: 0, plain: false, exact: false };
/**
 * `number`'s value: a double returned from a function that is not inlined is boxed on the heap,
 * one allocation per reading (17 per sample); stored here it is not
 */
const NUM = new Float64Array(1);

function ws(b: Uint8Array, p: number): number {
  for (;;) {
    const c = b[p];
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
    else return p;
  }
}

/** End (the closing quote) of a string starting at `p`: printable ASCII without escapes only. */
function stringEnd(b: Uint8Array, p: number): number {
  for (;;) {
    const c = b[p];
    if (c === QUOTE) return p;
    if (c === undefined || c < 0x20 || c > 0x7e || c === BACKSLASH) throw BAIL;
    p++;
  }
}

/** The ASCII text b[s, e); `last` again when it has the same characters (a bootId repeats). */
function text(b: Uint8Array, s: number, e: number, last: string): string {
  if (last.length === e - s) {
    let i = 0;
    while (i < last.length && last.charCodeAt(i) === b[s + i]) i++;
    if (i === last.length) return last;
  }
  // (not String.fromCharCode.apply: a number of 100k digits would exceed its argument limit)
  return Buffer.from(b.buffer, b.byteOffset + s, e - s).toString('latin1');
}

function envelopeKey(b: Uint8Array, s: number, e: number): number {
  switch (e - s) {
    case 1:
      return b[s] === 0x76 ? 1 : 0; // v
    case 2:
      return b[s] === 0x74 && b[s + 1] === 0x73 ? 2 : 0; // ts
    case 3:
      return b[s] === 0x73 && b[s + 1] === 0x65 && b[s + 2] === 0x71 ? 8 : 0; // seq
    case 6:
      return same(b, s, BOOT_ID) ? 4 : 0;
    case 7:
      return same(b, s, SAMPLES) ? 16 : 0;
    default:
      return 0; // `units` and anything else: the general path
  }
}
const BOOT_ID = Buffer.from('bootId', 'latin1');
const SAMPLES = Buffer.from('samples', 'latin1');

function same(b: Uint8Array, s: number, name: Uint8Array): boolean {
  for (let i = 0; i < name.length; i++) if (b[s + i] !== name[i]) return false;
  return true;
}

/** Index into KEY_BYTES of the key b[s, e), or −1. */
function keyOf(b: Uint8Array, s: number, e: number): number {
  if (e - s < 1) return -1;
  const list = byHash.get(keyHash(b, s, e));
  if (list === undefined) return -1;
  for (const k of list) {
    const name = KEY_BYTES[k]!;
    if (name.length === e - s && same(b, s, name)) return k;
  }
  return -1;
}

/** Whether the string at `s` is exactly `name` (its closing quote follows). */
function isKey(b: Uint8Array, s: number, name: Uint8Array): boolean {
  return same(b, s, name) && b[s + name.length] === QUOTE;
}

/** A non-negative JSON integer written with digits only (≤ 16 of them); its end into `at`. */
function integer(b: Uint8Array, p: number): number {
  const start = p;
  let v = 0;
  let c = b[p]!;
  if (c === ZERO) {
    p++;
  } else {
    while (c >= ZERO && c <= NINE) {
      v = v * 10 + (c - ZERO);
      c = b[++p]!;
    }
  }
  const n = p - start;
  if (n === 0 || n > 16) throw BAIL;
  c = b[p]!;
  // a fraction or exponent (`1.0`, `1e3`) is a valid integer to JSON: the general path takes it
  if (c === DOT || c === 0x65 || c === 0x45 || (c >= ZERO && c <= NINE)) throw BAIL;
  at.end = p;
  return v;
}

/**
 * A JSON number's value into `NUM`; its end, whether the text is plain (see TelemetryScan) and whether the
 * value is exact into `at`. Exact for ≤ 15 significant digits and a decimal exponent within
 * ±22 (most readings); otherwise the leading 15 digits scaled — within 1e-13 of the value, which
 * is enough to tell that a reading is inside its range, and the caller reads the exact value from
 * the text when it is not clearly so.
 */
function number(b: Uint8Array, p: number): void {
  let neg = false;
  if (b[p] === MINUS) {
    neg = true;
    p++;
  }
  let m = 0; // the first ≤ 15 significant digits
  let digits = 0; // significant digits seen
  let exp10 = 0;
  let c = b[p]!;
  if (c === ZERO) {
    c = b[++p]!;
    if (c >= ZERO && c <= NINE) throw BAIL; // leading zero: not JSON
  } else if (c >= 0x31 && c <= NINE) {
    while (c >= ZERO && c <= NINE) {
      if (digits < 15) m = m * 10 + (c - ZERO);
      else exp10++;
      digits++;
      c = b[++p]!;
    }
  } else {
    throw BAIL;
  }
  if (c === DOT) {
    c = b[++p]!;
    if (!(c >= ZERO && c <= NINE)) throw BAIL;
    while (c >= ZERO && c <= NINE) {
      if (digits > 0 || c !== ZERO) {
        if (digits < 15) {
          m = m * 10 + (c - ZERO);
          exp10--;
        }
        digits++;
      } else {
        exp10--; // leading zeros of the fraction
      }
      c = b[++p]!;
    }
  }
  let plain = true;
  if (c === 0x65 || c === 0x45) {
    plain = false;
    c = b[++p]!;
    let sign = 1;
    if (c === PLUS) c = b[++p]!;
    else if (c === MINUS) {
      sign = -1;
      c = b[++p]!;
    }
    if (!(c >= ZERO && c <= NINE)) throw BAIL;
    let e = 0;
    while (c >= ZERO && c <= NINE) {
      if (e < 100_000) e = e * 10 + (c - ZERO);
      c = b[++p]!;
    }
    exp10 += sign * e;
  }
  let v: number;
  if (m === 0) v = 0;
  else if (exp10 >= -22 && exp10 <= 22) v = exp10 >= 0 ? m * POW10[exp10]! : m / POW10[-exp10]!;
  else v = exp10 > 0 ? m * 10 ** exp10 : m / 10 ** -exp10;
  if (neg) v = -v;
  at.end = p;
  // Clinger's fast path: both operands exact, one correctly rounded operation
  at.exact = digits <= 15 && exp10 >= -22 && exp10 <= 22;
  at.plain = plain && !(neg && v === 0);
  NUM[0] = v;
}

/** Whether an approximate value `v` (see `number`) is certainly inside [lo, hi]. */
function clearlyInside(v: number, lo: number, hi: number): boolean {
  const margin = Math.abs(v) * 1e-12;
  return v - lo > margin && hi - v > margin;
}
