import type {
  Birth,
  BladeEvent,
  Cut,
  MachineState,
  Sample,
  State,
  Telemetry,
} from '../../contracts/index.js';
import type { Point } from '../../core/ports.js';
import type { Seeds } from '../../seeds/index.js';
import { correctionAt, sectionSizeMm } from '../../simulator/index.js';
import type { MachineInfo } from '../directory.js';
import { BladeLedger } from '../supplychain/ledger.js';
import { floorTo, HOUR_MS, MINUTE_MS, shiftOf } from '../time.js';
import { MinuteBuckets, PowerTrail } from './minutes.js';

export interface BookOptions {
  seeds: Seeds;
  /** kg CO₂ per kWh */
  gridKgPerKWh: number;
  /** no message for longer than this (device time) = offline */
  silenceMs: number;
}

interface Span {
  state: MachineState;
  start: number;
  reason?: string;
}

/** A cut record waiting for the telemetry of its window. */
interface PendingCut {
  cut: Cut;
  /** the machine's latest message ts when it came (forces it out after a while) */
  seenAt: number;
}

const CUT_WAIT_MS = 2 * 60_000;
/** reason of offline spans SawBrain infers from silence (the controller's own are kept apart) */
const SILENT = 'silent';
const mid = ([a, b]: readonly [number, number]) => (a + b) / 2;

/**
 * Everything the databases build from one machine's stream, in device time: the state timeline
 * (contiguous spans, offline spans for silences), 1-minute telemetry with energy by state, the
 * per-cut records with energy recomputed from telemetry, and the blade ledger.
 */
export class MachineBook {
  intervalMs = 1000;
  firstSeen = Number.POSITIVE_INFINITY;
  lastSeen = Number.NEGATIVE_INFINITY;
  /** the state a machine was in when a rollup found it silent (it resumes in it) */
  private beforeSilence: { state: MachineState; reason?: string } | undefined;
  /** longest time one telemetry message spanned (its samples are published together) */
  private batchSpanMs = 0;
  /** earliest device time whose periods need rolling up again */
  dirtyFrom: number | undefined;
  private span: Span | undefined;
  private readonly history: { ts: number; state: MachineState }[] = [];
  private readonly minutes = new MinuteBuckets();
  private readonly trail = new PowerTrail(12 * HOUR_MS);
  private readonly pending: PendingCut[] = [];
  readonly ledger: BladeLedger;
  readonly tags: { tenant: string; machine: string };

  constructor(
    readonly info: MachineInfo,
    private readonly o: BookOptions,
  ) {
    this.tags = { tenant: info.tenant, machine: info.machineId };
    this.ledger = new BladeLedger(o.seeds, info.tenant, info.machineId);
  }

  private markDirty(ts: number): void {
    if (this.dirtyFrom === undefined || ts < this.dirtyFrom) this.dirtyFrom = ts;
  }

  /** Where the state timeline currently ends (the open span's end). */
  coverageEnd(horizon: number): number {
    if (!Number.isFinite(this.lastSeen)) return horizon;
    return this.span?.state === 'offline' ? Math.max(this.lastSeen, horizon) : this.lastSeen;
  }

  private spanPoint(s: Span, end: number, open: boolean): Point {
    return {
      db: 'operations',
      measurement: 'state_span',
      tags: { ...this.tags, state: s.state },
      fields: {
        end,
        durationS: (end - s.start) / 1000,
        open,
        ...(s.reason ? { reason: s.reason } : {}),
      },
      ts: s.start,
    };
  }

  private switchTo(state: MachineState, ts: number, reason: string | undefined, out: Point[]): void {
    const s = this.span;
    if (s) {
      if (s.state === state) return;
      out.push(this.spanPoint(s, ts, false));
      this.markDirty(s.start);
    }
    this.span = { state, start: ts, ...(reason ? { reason } : {}) };
    this.history.push({ ts, state });
    if (this.history.length > 512) this.history.splice(0, 256);
    this.markDirty(ts);
  }

  /**
   * How long without data counts as offline: the configured silence, but never less than twice
   * the span of one telemetry message (a device that batches 2 minutes of samples is not offline
   * between its batches).
   */
  get silenceMs(): number {
    return Math.max(this.o.silenceMs, 2 * this.batchSpanMs + this.intervalMs);
  }

  /** Any message or sample at device time `ts`: silences longer than the limit become offline spans. */
  private touch(ts: number, out: Point[]): void {
    if (ts < this.firstSeen) this.firstSeen = ts;
    if (ts <= this.lastSeen) return;
    const s = this.span;
    if (s && s.state !== 'offline' && ts - this.lastSeen > this.silenceMs) {
      const resume = s.state;
      const reason = s.reason;
      this.switchTo('offline', this.lastSeen, SILENT, out);
      this.switchTo(resume, ts, reason, out);
    } else if (s?.state === 'offline' && s.reason === SILENT) {
      // offline only because it had gone quiet: it speaks again, in the state it was in
      const back = this.beforeSilence ?? { state: this.lastActiveState() };
      this.switchTo(back.state, ts, back.reason, out);
    }
    this.beforeSilence = undefined;
    this.lastSeen = ts;
    this.markDirty(ts);
  }

  /** The machine goes quiet up to `horizon` (rollup time): offline once the silence is long enough. */
  settle(horizon: number, out: Point[]): void {
    const s = this.span;
    // at rollup time the fleet's other machines set the clock: allow twice the silence for lag
    if (s && s.state !== 'offline' && horizon - this.lastSeen > 2 * this.silenceMs) {
      this.beforeSilence = { state: s.state, ...(s.reason ? { reason: s.reason } : {}) };
      this.switchTo('offline', this.lastSeen, SILENT, out);
    }
    if (this.span?.state === 'offline') this.markDirty(Math.max(this.span.start, this.lastSeen));
  }

  private lastActiveState(): MachineState {
    for (let i = this.history.length - 1; i >= 0; i--)
      if (this.history[i]!.state !== 'offline') return this.history[i]!.state;
    return 'idle';
  }

  stateAt(ts: number): MachineState {
    const h = this.history;
    for (let i = h.length - 1; i >= 0; i--) if (h[i]!.ts <= ts) return h[i]!.state;
    return h[0]?.state ?? 'idle';
  }

  birth(b: Birth, out: Point[]): void {
    this.intervalMs = b.sampleIntervalMs;
    this.touch(b.ts, out);
    this.ledger.seen(b.blade, b.ts);
    if (!this.span) this.switchTo('idle', b.ts, 'boot', out);
  }

  state(s: State, out: Point[]): void {
    if (!this.span) {
      this.touch(s.ts, out);
      this.switchTo(s.state, Math.min(this.firstSeen, s.ts), s.reason, out);
      return;
    }
    if (s.ts < this.span.start) return; // older than the current span: the timeline is settled
    this.touch(s.ts, out);
    this.switchTo(s.state, s.ts, s.reason, out);
  }

  telemetry(t: Telemetry): Point[] {
    const out: Point[] = [];
    const first = t.samples[0]!.ts;
    const last = t.samples[t.samples.length - 1]!.ts;
    this.batchSpanMs = Math.max(this.batchSpanMs, Math.min(10 * 60_000, last - first + this.intervalMs));
    for (const sample of t.samples) {
      this.touch(sample.ts, out);
      if (!this.trail.add(sample.ts, sample.power ?? 0)) continue;
      this.minutes.add(sample, this.intervalMs, this.stateAt(sample.ts));
    }
    out.push(...this.takeMinutes(false), ...this.takeCuts(false));
    return out;
  }

  cut(c: Cut, out: Point[]): void {
    this.touch(c.ts, out);
    this.ledger.cut(c);
    this.pending.push({ cut: c, seenAt: this.lastSeen });
    this.markDirty(c.start);
    out.push(...this.takeCuts(false));
  }

  blade(b: BladeEvent, out: Point[]): void {
    this.touch(b.ts, out);
    this.ledger.event(b);
    out.push(...this.ledger.take());
  }

  other(ts: number, out: Point[]): void {
    this.touch(ts, out);
  }

  private takeMinutes(all: boolean): Point[] {
    return this.minutes.take(all, this.intervalMs).map(({ ts, fields }) => ({
      db: 'operations',
      measurement: 'telemetry_1m',
      tags: this.tags,
      fields,
      ts,
    }));
  }

  private takeCuts(all: boolean): Point[] {
    const out: Point[] = [];
    while (this.pending.length > 0) {
      const p = this.pending[0]!;
      const ready =
        this.trail.latestTs >= p.cut.end - this.intervalMs ||
        this.lastSeen - p.seenAt > Math.max(CUT_WAIT_MS, 2 * this.batchSpanMs + this.intervalMs);
      if (!ready && !all) break;
      this.pending.shift();
      this.markDirty(p.cut.start);
      out.push(this.cutPoint(p.cut));
    }
    return out;
  }

  /** Ideal cutting time of a cut at the chart's rate for its material and section (DOMAIN §3), s. */
  private idealS(c: Cut): number {
    const m = this.o.seeds.lookup.material.get(c.material.grade);
    if (!m) return (c.end - c.start) / 1000;
    const corr = this.o.seeds.corrections.sectionRate.points;
    const rate =
      (mid(m.rateCm2Min) * correctionAt(corr, sectionSizeMm(c.section))) / correctionAt(corr, m.refSizeMm);
    return rate > 0 ? (c.areaCm2 / rate) * 60 : 0;
  }

  private cutPoint(c: Cut): Point {
    const e = this.trail.energy(c.start, c.end, this.intervalMs);
    const cls = c.material.class ?? this.o.seeds.lookup.material.get(c.material.grade)?.classId ?? 'unknown';
    return {
      db: 'operations',
      measurement: 'cut_record',
      tags: { ...this.tags, shift: shiftOf(c.start, this.info.utcOffsetMinutes).name },
      fields: {
        cutId: c.cutId,
        end: c.end,
        durationS: (c.end - c.start) / 1000,
        completed: c.completed,
        materialGrade: c.material.grade,
        materialClass: cls,
        sectionShape: c.section.shape,
        sizeMm: sectionSizeMm(c.section),
        areaCm2: c.areaCm2,
        cuttingRateCm2Min: c.cuttingRateCm2Min,
        bladeId: c.bladeId,
        energyKWh: c.energyKWh,
        cuttingEnergyKWh: c.cuttingEnergyKWh,
        telemetryEnergyKWh: e.kWh,
        telemetrySamples: e.samples,
        kWhPerCm2: c.areaCm2 > 0 ? c.energyKWh / c.areaCm2 : 0,
        co2Kg: c.energyKWh * this.o.gridKgPerKWh,
        idealS: this.idealS(c),
        ...(c.meanBladeSpeed !== undefined ? { meanBladeSpeed: c.meanBladeSpeed } : {}),
      },
      ts: c.start,
    };
  }

  /**
   * The book's resumable state as one point (`machine_checkpoint`, ts 0: rewritten in place at
   * every rollup), so a restarted service continues the timeline and the mounted blade's entry.
   */
  checkpoint(): Point | undefined {
    const s = this.span;
    if (!s || !Number.isFinite(this.lastSeen)) return undefined;
    const blade = this.ledger.current;
    return {
      db: 'operations',
      measurement: 'machine_checkpoint',
      tags: this.tags,
      fields: {
        firstSeen: this.firstSeen,
        lastSeen: this.lastSeen,
        intervalMs: this.intervalMs,
        batchSpanMs: this.batchSpanMs,
        state: s.state,
        stateSince: s.start,
        history: JSON.stringify(this.history.slice(-16)),
        // every field every time: a rewrite keeps the fields it does not carry
        pending: JSON.stringify(this.pending.slice(0, 200)),
        stateReason: s.reason ?? '',
        blade: blade ? JSON.stringify(this.ledger.serialise(blade)) : '',
      },
      ts: 0,
    };
  }

  /**
   * Where the samples needed after a restart begin: the open minute, a waiting cut's start, or
   * the start of the running span (a cut in progress began inside it).
   */
  get resumeFrom(): number {
    return Math.min(
      floorTo(this.lastSeen, MINUTE_MS),
      ...this.pending.map((p) => p.cut.start),
      this.span?.state === 'running' ? this.span.start : Number.POSITIVE_INFINITY,
    );
  }

  /**
   * Samples of the stored raw telemetry up to the checkpoint (after restore): back into the power
   * trail (waiting cuts' energy) and the open minute, so neither loses what came before a restart.
   */
  prefill(samples: readonly Sample[]): void {
    const minute = floorTo(this.lastSeen, MINUTE_MS);
    for (const s of samples) {
      if (s.ts > this.lastSeen || !this.trail.add(s.ts, s.power ?? 0)) continue;
      if (s.ts >= minute) this.minutes.add(s, this.intervalMs, this.stateAt(s.ts));
    }
  }

  /** Continues from a checkpoint (before any message of this run). */
  restore(f: Record<string, unknown>): void {
    const n = (k: string) => (typeof f[k] === 'number' ? (f[k] as number) : undefined);
    const state = f.state as MachineState | undefined;
    const since = n('stateSince');
    const last = n('lastSeen');
    if (!state || since === undefined || last === undefined) return;
    this.firstSeen = n('firstSeen') ?? since;
    this.lastSeen = last;
    this.intervalMs = n('intervalMs') ?? this.intervalMs;
    this.batchSpanMs = n('batchSpanMs') ?? 0;
    this.span = {
      state,
      start: since,
      ...(typeof f.stateReason === 'string' && f.stateReason ? { reason: f.stateReason } : {}),
    };
    const history = typeof f.history === 'string' ? (JSON.parse(f.history) as MachineBook['history']) : [];
    this.history.push(...(history.length > 0 ? history : [{ ts: since, state }]));
    if (typeof f.pending === 'string') this.pending.push(...(JSON.parse(f.pending) as PendingCut[]));
    this.markDirty(this.lastSeen);
    if (typeof f.blade === 'string' && f.blade)
      this.ledger.restore(JSON.parse(f.blade) as Record<string, unknown>);
  }

  /**
   * Everything held back: the open span (to `horizon`), all minutes, changed ledger entries; cut
   * records still waiting for their telemetry only when `final` (shutdown, end of a replay).
   */
  flush(horizon: number, final = false): Point[] {
    const out: Point[] = [];
    this.settle(horizon, out);
    out.push(...this.takeMinutes(true), ...this.takeCuts(final), ...this.ledger.take());
    if (this.span) out.push(this.spanPoint(this.span, this.coverageEnd(horizon), true));
    return out;
  }
}
