import type { Point, StoreBatch } from '../core/ports.js';

/** A batch that holds the points and hands them to `write` when asked (stores that encode nothing ahead). */
export function pointBatch(write: (points: readonly Point[]) => Promise<void>): StoreBatch {
  const held: Point[] = [];
  return {
    add(points) {
      for (const p of points) held.push(p);
    },
    get points() {
      return held.length;
    },
    write: () => write(held),
  };
}
