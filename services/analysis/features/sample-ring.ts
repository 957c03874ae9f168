import type { Sample } from '../../contracts/index.js';
import type { Mode } from './modes.js';

const MODE_CODE: Record<Mode, number> = { stopped: 0, running: 1, cutting: 2 };

/**
 * The recent samples of one machine in typed arrays (a few hours at 1 Hz), so a cut record can
 * be joined with the telemetry of its time window [start, end) when it arrives.
 */
export class SampleRing {
  readonly ts: Float64Array;
  readonly mode: Uint8Array;
  readonly power: Float32Array;
  readonly speed: Float32Array;
  readonly vibration: Float32Array;
  readonly current: Float32Array;
  /** blade temperature over coolant temperature, °C */
  readonly bladeRise: Float32Array;
  private head = 0;
  private size = 0;

  constructor(readonly capacity = 6 * 3600) {
    this.ts = new Float64Array(capacity);
    this.mode = new Uint8Array(capacity);
    this.power = new Float32Array(capacity);
    this.speed = new Float32Array(capacity);
    this.vibration = new Float32Array(capacity);
    this.current = new Float32Array(capacity);
    this.bladeRise = new Float32Array(capacity);
  }

  push(s: Sample, mode: Mode): void {
    const i = this.head;
    this.ts[i] = s.ts;
    this.mode[i] = MODE_CODE[mode];
    this.power[i] = s.power ?? Number.NaN;
    this.speed[i] = s.bladeSpeed ?? Number.NaN;
    this.vibration[i] = s.vibration ?? Number.NaN;
    this.current[i] = s.motorCurrent ?? Number.NaN;
    this.bladeRise[i] =
      s.bladeTemp !== undefined && s.coolantTemp !== undefined ? s.bladeTemp - s.coolantTemp : Number.NaN;
    this.head = (i + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  get latestTs(): number {
    return this.size === 0
      ? Number.NEGATIVE_INFINITY
      : this.ts[(this.head - 1 + this.capacity) % this.capacity]!;
  }

  /** Ring indices of the samples with from ≤ ts < to, oldest first. */
  window(from: number, to: number): number[] {
    const out: number[] = [];
    for (let k = this.size; k >= 1; k--) {
      const i = (this.head - k + this.capacity) % this.capacity;
      const t = this.ts[i]!;
      if (t >= from && t < to) out.push(i);
    }
    return out;
  }

  isCutting(i: number): boolean {
    return this.mode[i] === MODE_CODE.cutting;
  }

  isRunning(i: number): boolean {
    return this.mode[i] === MODE_CODE.running;
  }
}
