import { z } from 'zod';

/**
 * Modbus register values: 16-bit words decoded to numbers. 32-bit types span two consecutive
 * registers; `wordOrder` says which comes first: `big` = high word first (ABCD, the Modbus
 * convention), `little` = low word first (CDAB, "word swap", common on Modicon-style PLCs and
 * many HMI gateways). Bytes inside a register are always big-endian, as the protocol mandates.
 */
export const RegisterType = z.enum(['u16', 'i16', 'u32', 'i32', 'f32']);
export type RegisterType = z.infer<typeof RegisterType>;
export const WordOrder = z.enum(['big', 'little']);
export type WordOrder = z.infer<typeof WordOrder>;

export function registerCount(type: RegisterType): 1 | 2 {
  return type === 'u16' || type === 'i16' ? 1 : 2;
}

/** Decodes `type` from `words` (1 or 2 registers as read, 0..65535 each). */
export function decodeRegisters(words: readonly number[], type: RegisterType, order: WordOrder): number {
  const n = registerCount(type);
  if (words.length < n) throw new RangeError(`${type} needs ${n} registers, got ${words.length}`);
  const buf = Buffer.alloc(4);
  if (n === 1) {
    buf.writeUInt16BE(words[0]! & 0xffff, 0);
    return type === 'u16' ? buf.readUInt16BE(0) : buf.readInt16BE(0);
  }
  const [first, second] = [words[0]! & 0xffff, words[1]! & 0xffff];
  const [hi, lo] = order === 'big' ? [first, second] : [second, first];
  buf.writeUInt16BE(hi, 0);
  buf.writeUInt16BE(lo, 2);
  if (type === 'u32') return buf.readUInt32BE(0);
  if (type === 'i32') return buf.readInt32BE(0);
  return buf.readFloatBE(0);
}

const LIMITS: Record<Exclude<RegisterType, 'f32'>, [number, number]> = {
  u16: [0, 0xffff],
  i16: [-0x8000, 0x7fff],
  u32: [0, 0xffff_ffff],
  i32: [-0x8000_0000, 0x7fff_ffff],
};

/** Encodes a raw value as registers in wire order; integers are rounded and must fit the type. */
export function encodeRegisters(raw: number, type: RegisterType, order: WordOrder): number[] {
  if (!Number.isFinite(raw)) throw new RangeError(`cannot encode ${raw} as ${type}`);
  const buf = Buffer.alloc(4);
  if (type === 'f32') buf.writeFloatBE(raw, 0);
  else {
    const v = Math.round(raw);
    const [min, max] = LIMITS[type];
    if (v < min || v > max) throw new RangeError(`${raw} does not fit ${type} (${min}..${max})`);
    if (type === 'u16') return [v];
    if (type === 'i16') return [v & 0xffff];
    if (type === 'u32') buf.writeUInt32BE(v, 0);
    else buf.writeInt32BE(v, 0);
  }
  const hi = buf.readUInt16BE(0);
  const lo = buf.readUInt16BE(2);
  return order === 'big' ? [hi, lo] : [lo, hi];
}

/** engineering = raw × scale + offset */
export function toEngineering(raw: number, scale: number, offset: number): number {
  return raw * scale + offset;
}

/** raw = (engineering − offset) / scale */
export function toRaw(value: number, scale: number, offset: number): number {
  if (scale === 0) throw new RangeError('scale must not be 0');
  return (value - offset) / scale;
}
