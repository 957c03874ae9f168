import type { Point, SeriesRow, TelemetryStore } from '../../core/ports.js';
import type { MachineInfo } from '../directory.js';
import { bool, num, queryAll, str } from '../store-read.js';
import { DAY_MS, floorTo, HOUR_MS, overlap, shiftOf } from '../time.js';

/** What a rollup needs to know about a machine besides the store. */
export interface RollupMachine {
  info: MachineInfo;
  /** first device time seen */
  firstSeen: number;
  /** end of the state timeline (the open span's end) */
  coverageEnd: number;
}

interface SpanRow {
  start: number;
  end: number;
  state: string;
  reason: string | undefined;
}

interface CutRowLite {
  start: number;
  end: number;
  completed: boolean;
  areaCm2: number;
  energyKWh: number;
  cuttingEnergyKWh: number;
  telemetryEnergyKWh: number;
  idealS: number;
}

/** Longest cut the rollup looks back for (a cut overlapping a period may start before it). */
const MAX_CUT_MS = 12 * HOUR_MS;
const OFF_SHIFT_REASONS = new Set(['off-shift', 'break']);

async function spansFor(
  store: TelemetryStore,
  m: RollupMachine,
  from: number,
  to: number,
): Promise<SpanRow[]> {
  const where = { tenant: m.info.tenant, machine: m.info.machineId };
  const before = await store.query({
    db: 'operations',
    measurement: 'state_span',
    from: Math.min(m.firstSeen, from),
    to: from,
    where,
    order: 'desc',
    limit: 1,
  });
  const rows = await queryAll(store, { db: 'operations', measurement: 'state_span', from, to, where });
  return [...before, ...rows].map((r: SeriesRow) => ({
    start: r.ts,
    end: num(r.values.end, r.ts),
    state: r.tags.state ?? 'unknown',
    reason: str(r.values.reason),
  }));
}

async function cutsFor(
  store: TelemetryStore,
  m: RollupMachine,
  from: number,
  to: number,
): Promise<CutRowLite[]> {
  const rows = await queryAll(store, {
    db: 'operations',
    measurement: 'cut_record',
    from: from - MAX_CUT_MS,
    to,
    where: { tenant: m.info.tenant, machine: m.info.machineId },
    fields: ['end', 'completed', 'areaCm2', 'energyKWh', 'cuttingEnergyKWh', 'telemetryEnergyKWh', 'idealS'],
  });
  return rows.map((r) => ({
    start: r.ts,
    end: num(r.values.end, r.ts),
    completed: bool(r.values.completed),
    areaCm2: num(r.values.areaCm2),
    energyKWh: num(r.values.energyKWh),
    cuttingEnergyKWh: num(r.values.cuttingEnergyKWh),
    telemetryEnergyKWh: num(r.values.telemetryEnergyKWh),
    idealS: num(r.values.idealS),
  }));
}

/** The utilisation categories of one period [p0, p1) (ms), clipped to the machine's timeline. */
export function categorise(spans: readonly SpanRow[], cuts: readonly CutRowLite[], p0: number, p1: number) {
  const t = {
    cuttingS: 0,
    runningS: 0,
    idleS: 0,
    offShiftS: 0,
    setupS: 0,
    bladeChangeS: 0,
    alarmS: 0,
    offlineS: 0,
  };
  for (const s of spans) {
    const d = overlap(s.start, s.end, p0, p1);
    if (d <= 0) continue;
    switch (s.state) {
      case 'running': {
        let cutting = 0;
        for (const c of cuts) cutting += overlap(c.start, c.end, Math.max(s.start, p0), Math.min(s.end, p1));
        t.cuttingS += cutting;
        t.runningS += d - cutting;
        break;
      }
      case 'idle':
        if (s.reason && OFF_SHIFT_REASONS.has(s.reason)) t.offShiftS += d;
        else t.idleS += d;
        break;
      case 'setup':
        t.setupS += d;
        break;
      case 'blade-change':
        t.bladeChangeS += d;
        break;
      case 'alarm':
        t.alarmS += d;
        break;
      default:
        t.offlineS += d;
    }
  }
  for (const k of Object.keys(t) as (keyof typeof t)[]) t[k] /= 1000;
  return t;
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);

function utilisationPoint(
  m: RollupMachine,
  period: 'hour' | 'day',
  p0: number,
  p1: number,
  spans: SpanRow[],
  cuts: CutRowLite[],
): Point | null {
  const a = Math.max(p0, m.firstSeen);
  const b = Math.min(p1, m.coverageEnd);
  if (b <= a) return null;
  const t = categorise(spans, cuts, a, b);
  const started = cuts.filter((c) => c.start >= p0 && c.start < p1);
  const wallS = Object.values(t).reduce((s, x) => s + x, 0);
  const operatingS = t.cuttingS + t.runningS;
  const cutS = started.reduce((s, c) => s + (c.end - c.start) / 1000, 0);
  const availability = ratio(operatingS, wallS - t.offShiftS);
  const performance = ratio(
    started.reduce((s, c) => s + c.idealS, 0),
    cutS,
  );
  const quality = ratio(started.filter((c) => c.completed).length, started.length);
  const areaCm2 = started.reduce((s, c) => s + c.areaCm2, 0);
  return {
    db: 'operations',
    measurement: 'utilisation',
    tags: { tenant: m.info.tenant, machine: m.info.machineId, period },
    fields: {
      wallS,
      ...t,
      availability,
      performance,
      quality,
      oee: availability * performance * quality,
      cuts: started.length,
      areaCm2,
      areaPerHourCm2: ratio(areaCm2, operatingS / 3600),
    },
    ts: p0,
  };
}

function energyPoint(
  m: RollupMachine,
  period: 'shift' | 'day',
  shift: string | undefined,
  p0: number,
  p1: number,
  minutes: SeriesRow[],
  cuts: CutRowLite[],
  gridKgPerKWh: number,
): Point | null {
  if (Math.min(p1, m.coverageEnd) <= Math.max(p0, m.firstSeen)) return null;
  const inMin = minutes.filter((r) => r.ts >= p0 && r.ts < p1);
  const started = cuts.filter((c) => c.start >= p0 && c.start < p1);
  const byState: Record<string, number> = {};
  let totalKWh = 0;
  for (const r of inMin) {
    totalKWh += num(r.values.energyKWh);
    for (const [k, v] of Object.entries(r.values)) {
      if (k.startsWith('kwh_') && typeof v === 'number') byState[k] = (byState[k] ?? 0) + v;
    }
  }
  const cutKWh = started.reduce((s, c) => s + c.energyKWh, 0);
  const inCutWindowsKWh = started.reduce((s, c) => s + c.telemetryEnergyKWh, 0);
  const areaCm2 = started.reduce((s, c) => s + c.areaCm2, 0);
  return {
    db: 'operations',
    measurement: 'energy',
    tags: { tenant: m.info.tenant, machine: m.info.machineId, period, ...(shift ? { shift } : {}) },
    fields: {
      totalKWh,
      cutKWh,
      nonCutKWh: totalKWh - inCutWindowsKWh,
      cuttingKWh: started.reduce((s, c) => s + c.cuttingEnergyKWh, 0),
      ...byState,
      areaCm2,
      cuts: started.length,
      kWhPerCm2: ratio(cutKWh, areaCm2),
      co2Kg: totalKWh * gridKgPerKWh,
      gridKgPerKWh,
    },
    ts: p0,
  };
}

/**
 * Recomputes, from the stored streaming records (state_span, cut_record, telemetry_1m), the
 * utilisation (hour, day) and energy (shift, day) rows of one machine for every period that
 * overlaps [from, coverageEnd). Returns the points to write.
 */
export async function rollupOperations(
  store: TelemetryStore,
  m: RollupMachine,
  from: number,
  gridKgPerKWh: number,
): Promise<Point[]> {
  const off = m.info.utcOffsetMinutes;
  const end = m.coverageEnd;
  const p0 = Math.min(floorTo(from, DAY_MS), shiftOf(from, off).start);
  if (end <= p0) return [];
  const to = floorTo(end, DAY_MS) + DAY_MS;
  const [spans, cuts, minutes] = await Promise.all([
    spansFor(store, m, p0, to),
    cutsFor(store, m, p0, to),
    queryAll(store, {
      db: 'operations',
      measurement: 'telemetry_1m',
      from: p0,
      to,
      where: { tenant: m.info.tenant, machine: m.info.machineId },
    }),
  ]);
  const out: Point[] = [];
  const push = (p: Point | null) => p && out.push(p);
  for (let h = floorTo(from, HOUR_MS); h < end; h += HOUR_MS)
    push(utilisationPoint(m, 'hour', h, h + HOUR_MS, spans, cuts));
  for (let d = floorTo(from, DAY_MS); d < end; d += DAY_MS) {
    push(utilisationPoint(m, 'day', d, d + DAY_MS, spans, cuts));
    push(energyPoint(m, 'day', undefined, d, d + DAY_MS, minutes, cuts, gridKgPerKWh));
  }
  for (let s = shiftOf(from, off); s.start < end; s = shiftOf(s.end, off)) {
    push(energyPoint(m, 'shift', s.name, s.start, s.end, minutes, cuts, gridKgPerKWh));
  }
  return out;
}
