import type { BladeEvent, BladeSpec, Cut } from '../../contracts/index.js';
import type { Point } from '../../core/ports.js';
import type { Seeds } from '../../seeds/index.js';

/** One blade loop on one machine, from mount (or first sight) to dismount. */
export interface LedgerEntry {
  bladeId: string;
  bladeType: string;
  catalogueId?: string;
  supplier: string;
  mountedAt: number;
  dismountedAt?: number;
  reason?: string;
  /** mounted new while observed: its whole life is in the ledger */
  fromNew: boolean;
  areaCm2: number;
  cuts: number;
  reportedAreaCm2?: number;
  areaByGrade: Map<string, number>;
  dirty: boolean;
}

const RECENT = 8;

/**
 * The blade ledger of one machine: mount/dismount events and birth certificates open and close
 * entries; every cut record adds its area to the entry of its blade (the mounted one, a recently
 * dismounted one, or a new entry when the blade was never seen), so the ledger's areas sum to
 * the machine's cut areas by construction.
 */
export class BladeLedger {
  current: LedgerEntry | undefined;
  private readonly recent: LedgerEntry[] = [];

  constructor(
    private readonly seeds: Seeds,
    readonly tenant: string,
    readonly machine: string,
  ) {}

  private open(spec: BladeSpec | undefined, bladeId: string, ts: number, fromNew: boolean): LedgerEntry {
    const cat = spec?.catalogueId ? this.seeds.lookup.blade.get(spec.catalogueId) : undefined;
    const e: LedgerEntry = {
      bladeId,
      bladeType: spec?.type ?? 'unknown',
      ...(spec?.catalogueId ? { catalogueId: spec.catalogueId } : {}),
      supplier: spec?.supplier ?? cat?.supplier ?? 'unknown',
      mountedAt: ts,
      fromNew,
      areaCm2: 0,
      cuts: 0,
      areaByGrade: new Map(),
      dirty: true,
    };
    return e;
  }

  private retire(e: LedgerEntry): void {
    this.recent.push(e);
    if (this.recent.length > RECENT) this.recent.shift();
  }

  private close(e: LedgerEntry, ts: number, reason: string, reported?: number): void {
    e.dismountedAt = ts;
    e.reason = reason;
    if (reported !== undefined) e.reportedAreaCm2 = reported;
    e.dirty = true;
  }

  /** A blade seen on a birth certificate: a new entry unless it is the one we follow. */
  seen(spec: BladeSpec | undefined, ts: number): void {
    if (!spec || this.current?.bladeId === spec.bladeId) return;
    if (this.current) {
      this.close(this.current, ts, 'other');
      this.retire(this.current);
    }
    this.current = this.open(spec, spec.bladeId, ts, false);
  }

  event(b: BladeEvent): void {
    if (b.event === 'mount') {
      if (this.current?.bladeId === b.blade.bladeId) return;
      if (this.current) {
        this.close(this.current, b.ts, 'other');
        this.retire(this.current);
      }
      this.current = this.open(b.blade, b.blade.bladeId, b.ts, b.reason === undefined || b.reason === 'new');
      return;
    }
    let e = this.find(b.blade.bladeId);
    if (!e) {
      e = this.open(b.blade, b.blade.bladeId, b.ts, false);
      this.retire(e);
    }
    this.close(e, b.ts, b.reason ?? 'other', b.areaCutCm2);
    if (e === this.current) {
      this.retire(e);
      this.current = undefined;
    }
  }

  private find(bladeId: string): LedgerEntry | undefined {
    if (this.current?.bladeId === bladeId) return this.current;
    for (let i = this.recent.length - 1; i >= 0; i--)
      if (this.recent[i]!.bladeId === bladeId) return this.recent[i];
    return undefined;
  }

  /** Adds a cut to its blade's entry. */
  cut(c: Cut): void {
    let e = this.find(c.bladeId);
    if (!e) {
      e = this.open(undefined, c.bladeId, c.start, false);
      if (this.current) {
        this.close(this.current, c.start, 'other');
        this.retire(this.current);
      }
      this.current = e;
    }
    e.areaCm2 += c.areaCm2;
    e.cuts++;
    e.areaByGrade.set(c.material.grade, (e.areaByGrade.get(c.material.grade) ?? 0) + c.areaCm2);
    e.dirty = true;
  }

  /** An entry as plain JSON (for the machine checkpoint). */
  serialise(e: LedgerEntry): Record<string, unknown> {
    const { areaByGrade, dirty: _d, ...rest } = e;
    return { ...rest, areaByGrade: Object.fromEntries(areaByGrade) };
  }

  /** Continues the mounted blade's entry from a checkpoint. */
  restore(j: Record<string, unknown>): void {
    if (typeof j.bladeId !== 'string' || typeof j.mountedAt !== 'number') return;
    const grades = (j.areaByGrade ?? {}) as Record<string, number>;
    this.current = {
      bladeId: j.bladeId,
      bladeType: typeof j.bladeType === 'string' ? j.bladeType : 'unknown',
      ...(typeof j.catalogueId === 'string' ? { catalogueId: j.catalogueId } : {}),
      supplier: typeof j.supplier === 'string' ? j.supplier : 'unknown',
      mountedAt: j.mountedAt,
      fromNew: j.fromNew === true,
      areaCm2: typeof j.areaCm2 === 'number' ? j.areaCm2 : 0,
      cuts: typeof j.cuts === 'number' ? j.cuts : 0,
      areaByGrade: new Map(Object.entries(grades)),
      dirty: false,
    };
  }

  /** Material class and grade that took most of the entry's area. */
  dominant(e: LedgerEntry): { grade?: string; materialClass?: string } {
    let best: string | undefined;
    let area = -1;
    for (const [g, a] of e.areaByGrade) {
      if (a > area) {
        best = g;
        area = a;
      }
    }
    if (!best) return {};
    const cls = this.seeds.lookup.material.get(best)?.classId;
    return { grade: best, ...(cls ? { materialClass: cls } : {}) };
  }

  /** Points of the entries that changed (`blade_ledger`). */
  take(): Point[] {
    const out: Point[] = [];
    for (const e of [...this.recent, ...(this.current ? [this.current] : [])]) {
      if (!e.dirty) continue;
      e.dirty = false;
      out.push(this.point(e));
    }
    return out;
  }

  point(e: LedgerEntry): Point {
    const d = this.dominant(e);
    return {
      db: 'supplychain',
      measurement: 'blade_ledger',
      tags: { tenant: this.tenant, machine: this.machine, bladeType: e.bladeType, supplier: e.supplier },
      fields: {
        bladeId: e.bladeId,
        ...(e.catalogueId ? { catalogueId: e.catalogueId } : {}),
        mountedAt: e.mountedAt,
        ...(e.dismountedAt !== undefined ? { dismountedAt: e.dismountedAt } : {}),
        open: e.dismountedAt === undefined,
        ...(e.reason ? { reason: e.reason } : {}),
        fromNew: e.fromNew,
        areaCm2: e.areaCm2,
        cuts: e.cuts,
        ...(e.reportedAreaCm2 !== undefined ? { reportedAreaCm2: e.reportedAreaCm2 } : {}),
        ...(d.materialClass ? { materialClass: d.materialClass } : {}),
        ...(d.grade ? { grade: d.grade } : {}),
      },
      ts: e.mountedAt,
    };
  }
}
