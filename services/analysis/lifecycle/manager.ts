import type { Finding } from '../diagnosis/diagnose.js';
import type { Dictionary } from '../diagnosis/dictionary.js';
import type { MachineCtx } from '../machine.js';
import { getOrCreate } from '../types.js';
import { describeFinding, warningIdFor } from './describe.js';
import { type FloodConfig, FloodLimiter } from './flood.js';
import { eventOf, type LifecycleAction, type LifecycleEvent, stateOf, type WarningRecord } from './record.js';

export interface LifecycleConfig {
  flood: FloodConfig;
  /** a cleared warning nobody acknowledged is closed by the system after this long */
  autoResolveMs: number;
  /** longest shelving an operator may ask for */
  maxShelveMs: number;
  /** off-delay (ISA-18.2 anti-chatter): the condition must stay away this long before it clears */
  clearDelayMs: number;
  /**
   * a warning raised again within this long of clearing is chattering: each such return doubles
   * its off-delay, up to `maxChatterDoublings` times (× 8 with 3), until it closes (not critical
   * warnings: each break or overload trip is an event of its own and is annunciated)
   */
  chatterWindowMs: number;
  maxChatterDoublings: number;
}

export const DEFAULT_LIFECYCLE: LifecycleConfig = {
  flood: { windowMs: 10 * 60_000, perMachine: 5, perPlant: 20 },
  autoResolveMs: 24 * 3_600_000,
  maxShelveMs: 7 * 24 * 3_600_000,
  clearDelayMs: 15 * 60_000,
  chatterWindowMs: 15 * 60_000,
  maxChatterDoublings: 3,
};

/** What a lifecycle step produced: history events, records to publish, records to persist. */
export interface LifecycleOutput {
  events: LifecycleEvent[];
  publish: WarningRecord[];
  changed: WarningRecord[];
}

/**
 * The alarm lifecycle of every open warning (OPC UA Part 9 / ISA-18.2): raised → acknowledged →
 * cleared → resolved, re-raise while open counts an occurrence, shelving with expiry, suppression
 * by design while the machine is in setup or blade change, flood control per machine and plant.
 * One open warning per machine and type; everything happens synchronously, so concurrent
 * messages cannot create duplicates.
 */
export class LifecycleManager {
  private readonly open = new Map<string, WarningRecord>();
  private readonly byKey = new Map<string, string>();
  private readonly flood: FloodLimiter;
  /** machine → warnings whose condition is gone and waits out the off-delay */
  private readonly pendingClear = new Map<string, Set<string>>();
  private seq = 0;

  constructor(
    private readonly dict: Dictionary,
    private readonly c: LifecycleConfig = DEFAULT_LIFECYCLE,
  ) {
    this.flood = new FloodLimiter(c.flood);
  }

  get floodLimited(): number {
    return this.flood.limited;
  }

  list(): WarningRecord[] {
    return [...this.open.values()];
  }

  /** Types of a machine's open warnings whose condition is (still) active. */
  activeTypes(machine: string): string[] {
    const out: string[] = [];
    for (const r of this.open.values()) if (r.machine === machine && r.active) out.push(r.type);
    return out;
  }

  get(id: string): WarningRecord | undefined {
    return this.open.get(id);
  }

  /** Reloads open warnings (service restart). */
  restore(records: readonly WarningRecord[]): void {
    for (const r of records) {
      if (r.closedAt !== null) continue;
      this.open.set(r.warningId, { ...r });
      this.byKey.set(`${r.machine}|${r.type}`, r.warningId);
    }
  }

  private step(
    r: WarningRecord,
    ts: number,
    action: LifecycleAction,
    out: LifecycleOutput,
    by: string | null = null,
    note: string | null = null,
  ): void {
    const before = r.state;
    r.state = stateOf(r, ts);
    r.updatedAt = ts;
    out.events.push(eventOf(r, ts, action, by, note));
    out.changed.push(r);
    const visible = r.suppressed === null || action === 'resolve';
    const news = r.state !== before || action === 'reactivate' || action === 'raise';
    if (visible && (r.annunciated || r.state !== 'resolved') && news) {
      r.annunciated = true;
      out.publish.push({ ...r });
    }
    if (r.closedAt !== null) {
      this.open.delete(r.warningId);
      if (this.byKey.get(`${r.machine}|${r.type}`) === r.warningId)
        this.byKey.delete(`${r.machine}|${r.type}`);
    }
  }

  private suppression(
    m: MachineCtx,
    type: string,
    ts: number,
    critical: boolean,
  ): WarningRecord['suppressed'] {
    const cause = this.dict.byId.get(type)?.cause;
    const state = m.stateAt(ts);
    if (state && cause?.suppressIn.includes(state as never)) return 'state';
    return this.flood.allow(m.id, m.plant ?? null, ts, critical) ? null : 'flood';
  }

  /** Brings the machine's warnings in line with its current findings. */
  apply(m: MachineCtx, findings: readonly Finding[], ts: number, out: LifecycleOutput): void {
    const types = new Set(findings.map((f) => f.type));
    for (const f of findings) {
      const cause = this.dict.byId.get(f.type)!.cause;
      const d = describeFinding(cause, f, m);
      const id = this.byKey.get(`${m.id}|${f.type}`);
      const r = id ? this.open.get(id) : undefined;
      if (!r) {
        const rec: WarningRecord = {
          warningId: warningIdFor(m.id, f.type, ts, this.seq++),
          tenant: m.tenant,
          machine: m.id,
          plant: m.plant ?? null,
          type: f.type,
          rule: f.primary.rule,
          severity: cause.severity,
          ...d,
          raisedAt: ts,
          lastRaisedAt: ts,
          updatedAt: ts,
          clearedAt: null,
          closedAt: null,
          occurrences: 1,
          active: true,
          acked: false,
          ackedBy: null,
          shelvedUntil: null,
          suppressed: this.suppression(m, f.type, ts, cause.severity === 'critical'),
          annunciated: false,
          clearPendingSince: null,
          chatter: 0,
          state: 'raised',
        };
        this.open.set(rec.warningId, rec);
        this.byKey.set(`${m.id}|${f.type}`, rec.warningId);
        this.step(rec, ts, rec.suppressed ? 'suppress' : 'raise', out);
        continue;
      }
      Object.assign(r, d, { rule: f.primary.rule, clearPendingSince: null });
      if (!r.active) {
        // back soon after it cleared: a chattering condition (a limit crossed cut after cut) stays
        // up longer next time instead of being annunciated again and again — not a critical one (a
        // break, an overload trip): each of those is an event of its own and is annunciated
        // (clearedAt is when the condition went away; the clear was annunciated an off-delay later)
        const clearedShownAt = r.clearedAt === null ? null : r.clearedAt + this.offDelay(r);
        const quick = clearedShownAt !== null && ts - clearedShownAt < this.c.chatterWindowMs;
        r.chatter = quick && r.severity !== 'critical' ? r.chatter + 1 : 0;
        r.active = true;
        r.acked = false;
        r.clearedAt = null;
        r.occurrences++;
        r.lastRaisedAt = ts;
        if (r.suppressed === null) r.suppressed = this.suppression(m, f.type, ts, r.severity === 'critical');
        this.step(r, ts, 'reactivate', out);
      } else if (ts - r.updatedAt >= 60_000) {
        r.updatedAt = ts;
        out.changed.push(r);
      }
    }
    for (const id of [...this.open.keys()]) {
      const r = this.open.get(id)!;
      if (r.machine !== m.id || !r.active || types.has(r.type)) continue;
      r.clearPendingSince ??= ts;
      this.pendingOf(m.id).add(r.warningId);
      this.clearIfDue(r, ts, out);
    }
  }

  private pendingOf(machine: string): Set<string> {
    return getOrCreate(this.pendingClear, machine, () => new Set<string>());
  }

  /** Completes the off-delay of a machine's warnings at device time `ts` (every message). */
  settleClears(machine: string, ts: number, out: LifecycleOutput): void {
    const set = this.pendingClear.get(machine);
    if (!set || set.size === 0) return;
    for (const id of [...set]) {
      const r = this.open.get(id);
      if (!r?.active || r.clearPendingSince === null) set.delete(id);
      else this.clearIfDue(r, ts, out);
    }
  }

  /** The off-delay of a warning: doubled for each quick return (chattering), up to the limit. */
  private offDelay(r: WarningRecord): number {
    return this.c.clearDelayMs * 2 ** Math.min(r.chatter, this.c.maxChatterDoublings);
  }

  /** Clears a warning whose condition has been gone for the off-delay. */
  private clearIfDue(r: WarningRecord, ts: number, out: LifecycleOutput): void {
    if (r.clearPendingSince === null || ts - r.clearPendingSince < this.offDelay(r)) return;
    r.active = false;
    r.clearedAt = r.clearPendingSince;
    r.clearPendingSince = null;
    this.pendingClear.get(r.machine)?.delete(r.warningId);
    if (r.acked || (r.suppressed !== null && !r.annunciated)) r.closedAt = ts;
    this.step(r, ts, r.closedAt !== null ? 'resolve' : 'clear', out);
  }

  /**
   * Time-driven steps. Shelving is an operator action on the engine clock (`now`); everything
   * about the machine's condition runs on that machine's device time (its latest message).
   */
  tick(now: number, machineOf: (id: string) => MachineCtx | undefined, out: LifecycleOutput): void {
    for (const r of [...this.open.values()]) {
      const m = machineOf(r.machine);
      const deviceNow = m && Number.isFinite(m.lastMessageTs) ? m.lastMessageTs : now;
      if (r.shelvedUntil !== null && r.shelvedUntil <= now) {
        r.shelvedUntil = null;
        this.step(r, now, 'unshelve', out, 'system', 'shelving expired');
        if (r.closedAt !== null) continue;
      }
      if (r.active && r.clearPendingSince !== null) {
        this.clearIfDue(r, Math.max(deviceNow, r.clearPendingSince), out);
        if (r.closedAt !== null) continue;
      }
      if (r.suppressed !== null && r.active) this.release(r, m, deviceNow, out);
      if (!r.active && !r.acked && r.clearedAt !== null && deviceNow - r.clearedAt >= this.c.autoResolveMs) {
        r.closedAt = deviceNow;
        this.step(r, deviceNow, 'resolve', out, 'system', 'cleared and not acknowledged');
      }
    }
  }

  /** Ends a suppression once the machine left the maintenance state and the flood window allows. */
  private release(r: WarningRecord, m: MachineCtx | undefined, ts: number, out: LifecycleOutput): void {
    const cause = this.dict.byId.get(r.type)?.cause;
    const state = m?.stateAt(ts);
    if (r.suppressed === 'state' && state !== undefined && cause?.suppressIn.includes(state as never)) return;
    if (!this.flood.allow(r.machine, r.plant, ts, r.severity === 'critical')) {
      r.suppressed = 'flood';
      return;
    }
    r.suppressed = null;
    this.step(r, ts, 'unsuppress', out);
  }

  ack(
    id: string,
    by: string,
    ts: number,
    note: string | null,
    out: LifecycleOutput,
  ): WarningRecord | undefined {
    const r = this.open.get(id);
    if (!r) return undefined;
    if (!r.acked) {
      r.acked = true;
      r.ackedBy = by;
      if (!r.active) r.closedAt = ts;
      this.step(r, ts, r.closedAt !== null ? 'resolve' : 'ack', out, by, note);
    }
    return r;
  }

  shelve(
    id: string,
    untilTs: number,
    by: string,
    ts: number,
    note: string | null,
    out: LifecycleOutput,
  ): WarningRecord | undefined {
    const r = this.open.get(id);
    if (!r) return undefined;
    r.shelvedUntil = Math.min(untilTs, ts + this.c.maxShelveMs);
    this.step(r, ts, 'shelve', out, by, note);
    return r;
  }

  unshelve(id: string, by: string, ts: number, out: LifecycleOutput): WarningRecord | undefined {
    const r = this.open.get(id);
    if (!r || r.shelvedUntil === null) return r;
    r.shelvedUntil = null;
    this.step(r, ts, 'unshelve', out, by);
    return r;
  }
}
