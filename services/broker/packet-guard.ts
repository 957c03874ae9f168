import type { Readable } from 'node:stream';

/**
 * aedes has no maximum packet size: its parser buffers whatever "remaining length" a client
 * declares (up to 256 MB). The guard decodes only the MQTT fixed header of each packet in the
 * incoming byte stream — type byte, then the 1–4 byte variable-length "remaining length" — and
 * skips the body without looking at it, so it sees a declared size as soon as the header
 * arrives, before the parser has buffered the body. Zero-copy: chunks are scanned in place and
 * passed on untouched; headers split across chunks are handled by keeping the decoder state.
 */
export type ScanViolation =
  | { kind: 'oversize'; declaredBytes: number }
  | { kind: 'malformed'; reason: string };

/** decoder states: expecting the type byte, inside the remaining length, skipping the body */
const TYPE = 0;
const LENGTH = 1;
const BODY = 2;

export class PacketSizeScanner {
  private state: number = TYPE;
  private remaining = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private violation: ScanViolation | null = null;
  /** packets whose header was fully decoded */
  packets = 0;

  /** @param maxPacketBytes limit on a whole packet: fixed header + remaining length (MQTT 5 "packet size") */
  constructor(readonly maxPacketBytes: number) {}

  /** Scans the next chunk of the stream; returns the first violation (sticky), or null. */
  feed(chunk: Uint8Array): ScanViolation | null {
    if (this.violation) return this.violation;
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      switch (this.state) {
        case TYPE:
          i++;
          this.state = LENGTH;
          this.remaining = 0;
          this.multiplier = 1;
          this.lengthBytes = 0;
          break;
        case LENGTH: {
          const b = chunk[i++]!;
          this.remaining += (b & 0x7f) * this.multiplier;
          this.multiplier *= 128;
          this.lengthBytes++;
          if (b & 0x80) {
            if (this.lengthBytes === 4) {
              this.violation = { kind: 'malformed', reason: 'remaining length longer than 4 bytes' };
              return this.violation;
            }
            break;
          }
          this.packets++;
          const total = 1 + this.lengthBytes + this.remaining;
          if (total > this.maxPacketBytes) {
            this.violation = { kind: 'oversize', declaredBytes: total };
            return this.violation;
          }
          this.state = this.remaining > 0 ? BODY : TYPE;
          break;
        }
        case BODY: {
          const skip = Math.min(this.remaining, n - i);
          i += skip;
          this.remaining -= skip;
          if (this.remaining === 0) this.state = TYPE;
          break;
        }
      }
    }
    return null;
  }
}

/**
 * Installs the scanner on a stream that aedes consumes with `readable` + `read()`: every chunk
 * read is scanned before aedes parses it; on a violation the chunk is withheld, `onViolation` is
 * called and the stream destroyed.
 */
export function guardStream(
  stream: Readable,
  maxPacketBytes: number,
  onViolation: (violation: ScanViolation) => void,
): PacketSizeScanner {
  const scanner = new PacketSizeScanner(maxPacketBytes);
  const read = stream.read;
  let tripped = false;
  stream.read = function guardedRead(this: Readable, size?: number) {
    if (tripped) return null;
    const chunk: unknown = read.call(this, size);
    if (chunk === null || chunk === undefined || !(chunk instanceof Uint8Array)) return chunk;
    const violation = scanner.feed(chunk);
    if (!violation) return chunk;
    tripped = true;
    onViolation(violation);
    stream.destroy();
    return null;
  };
  return scanner;
}
