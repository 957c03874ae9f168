import type { RegisterRef } from './map-schema.js';
import { decodeRegisters, registerCount, toEngineering, type WordOrder } from './registers.js';

/**
 * Read planning: the registers a map needs, merged into as few requests as possible (one per
 * contiguous run of each table, small holes bridged, at most 120 registers per request).
 */
export const MAX_REGISTERS_PER_READ = 120;
export const MAX_HOLE = 8;

export interface ReadBlock {
  table: 'holding' | 'input';
  start: number;
  count: number;
}

export function planReads(refs: readonly RegisterRef[]): ReadBlock[] {
  const blocks: ReadBlock[] = [];
  for (const table of ['holding', 'input'] as const) {
    const spans = refs
      .filter((r) => r.table === table)
      .map((r) => [r.address, r.address + registerCount(r.type)] as const)
      .sort((a, b) => a[0] - b[0]);
    let current: ReadBlock | null = null;
    for (const [from, to] of spans) {
      if (current) {
        const end = current.start + current.count;
        if (from <= end + MAX_HOLE && Math.max(end, to) - current.start <= MAX_REGISTERS_PER_READ) {
          current.count = Math.max(end, to) - current.start;
          continue;
        }
        blocks.push(current);
      }
      current = { table, start: from, count: to - from };
    }
    if (current) blocks.push(current);
  }
  return blocks;
}

/** Registers read, per table: address → word. */
export type RegisterImage = { holding: Map<number, number>; input: Map<number, number> };

export function emptyImage(): RegisterImage {
  return { holding: new Map(), input: new Map() };
}

export function storeBlock(image: RegisterImage, block: ReadBlock, words: readonly number[]): void {
  const table = image[block.table];
  for (let i = 0; i < block.count; i++) table.set(block.start + i, words[i] ?? 0);
}

/** The engineering value of `ref` from a register image (a flag reads as 0/1). */
export function registerValue(image: RegisterImage, ref: RegisterRef, order: WordOrder): number {
  const table = image[ref.table];
  const words: number[] = [];
  for (let i = 0; i < registerCount(ref.type); i++) {
    const w = table.get(ref.address + i);
    if (w === undefined) throw new RangeError(`register ${ref.table}:${ref.address + i} was not read`);
    words.push(w);
  }
  if (ref.bit !== undefined) return (words[0]! >> ref.bit) & 1;
  return toEngineering(decodeRegisters(words, ref.type, order), ref.scale, ref.offset);
}
