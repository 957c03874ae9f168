import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { guardStream, PacketSizeScanner } from '../../services/broker/index.js';

/** MQTT variable byte integer */
function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

/** A QoS 0 PUBLISH, encoded by hand. */
function publish(payloadBytes: number, topic = 'sawbrain/v1/t/m/telemetry'): Buffer {
  const t = Buffer.from(topic);
  const body = Buffer.concat([
    Buffer.from([t.length >> 8, t.length & 255]),
    t,
    Buffer.alloc(payloadBytes, 1),
  ]);
  return Buffer.concat([Buffer.from([0x30]), varint(body.length), body]);
}
const pingreq = () => Buffer.from([0xc0, 0x00]);

/** Feeds `stream` in chunks split at every given offset; returns the first violation. */
function feedSplit(scanner: PacketSizeScanner, stream: Buffer, cuts: number[]) {
  let prev = 0;
  for (const cut of [...cuts, stream.length]) {
    const v = scanner.feed(stream.subarray(prev, cut));
    if (v) return v;
    prev = cut;
  }
  return null;
}

describe('PacketSizeScanner', () => {
  it('passes a stream of packets under the limit, whatever the chunking', () => {
    // remaining lengths of 1, 2 and 3 bytes, plus zero-length packets
    const stream = Buffer.concat([
      pingreq(),
      publish(10),
      publish(200),
      pingreq(),
      publish(20_000),
      publish(0),
    ]);
    const total =
      2 + publish(10).length + publish(200).length + 2 + publish(20_000).length + publish(0).length;
    expect(stream.length).toBe(total);
    // every single split point, and byte-by-byte
    for (let cut = 0; cut <= stream.length; cut += cut < 300 ? 1 : 97) {
      const s = new PacketSizeScanner(32 * 1024);
      expect(feedSplit(s, stream, [cut])).toBeNull();
      expect(s.packets).toBe(6);
    }
    const s = new PacketSizeScanner(32 * 1024);
    expect(
      feedSplit(
        s,
        stream,
        Array.from({ length: stream.length }, (_, i) => i),
      ),
    ).toBeNull();
    expect(s.packets).toBe(6);
  });

  it('flags the first packet above the limit as soon as its header is complete', () => {
    const ok = publish(100);
    const big = publish(5_000);
    const stream = Buffer.concat([ok, big]);
    // the header of `big` is its first 3 bytes (type + 2-byte remaining length)
    for (let cut = ok.length; cut < ok.length + 3; cut++) {
      const s = new PacketSizeScanner(1024);
      expect(s.feed(stream.subarray(0, cut))).toBeNull();
      // header completes in the next chunk — body bytes not needed
      expect(s.feed(stream.subarray(cut, ok.length + 3))).toEqual({
        kind: 'oversize',
        declaredBytes: big.length,
      });
    }
    // exact limit is allowed, one byte more is not
    expect(new PacketSizeScanner(big.length).feed(big)).toBeNull();
    expect(new PacketSizeScanner(big.length - 1).feed(big)).toEqual({
      kind: 'oversize',
      declaredBytes: big.length,
    });
  });

  it('catches a bare header declaring 256 MB, split across 5 one-byte chunks', () => {
    const header = Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]);
    const s = new PacketSizeScanner(512 * 1024);
    const results = [...header].map((b) => s.feed(Buffer.from([b])));
    expect(results.slice(0, 4)).toEqual([null, null, null, null]);
    expect(results[4]).toEqual({ kind: 'oversize', declaredBytes: 1 + 4 + 268_435_455 });
    // sticky
    expect(s.feed(pingreq())).toEqual(results[4]);
  });

  it('flags a remaining length with a 5th continuation byte as malformed', () => {
    const s = new PacketSizeScanner(1 << 30);
    expect(s.feed(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80, 0x01]))).toMatchObject({ kind: 'malformed' });
  });
});

describe('guardStream', () => {
  it('lets packets through untouched (same buffers) and destroys the stream on an oversize header', async () => {
    const stream = new PassThrough();
    const violations: unknown[] = [];
    guardStream(stream, 1024, (v) => violations.push(v));
    const small = publish(100);
    stream.write(small);
    await new Promise((r) => setImmediate(r));
    const got = stream.read() as Buffer;
    expect(got.equals(small)).toBe(true);

    const big = publish(4096);
    stream.write(big.subarray(0, 2)); // type + first length byte only
    await new Promise((r) => setImmediate(r));
    expect(stream.read()).not.toBeNull();
    expect(violations).toEqual([]);
    stream.write(big.subarray(2, 3)); // completes the header
    await new Promise((r) => setImmediate(r));
    expect(stream.read()).toBeNull();
    expect(violations).toEqual([{ kind: 'oversize', declaredBytes: big.length }]);
    expect(stream.destroyed).toBe(true);
  });
});
