/**
 * Per-machine `(bootId, seq)` tracking: turns gaps, duplicates, late arrivals and reboots into
 * data-quality events. Pure logic, no I/O; the ingest service stores the events it returns.
 *
 * Within one boot a device numbers every message it publishes +1. A jump ahead is a gap (the
 * messages in between are missing, for now); a number seen before is a duplicate; a number that
 * fills an earlier gap is a late arrival (and reduces the outstanding gap).
 */
export type QualityEventType = 'gap' | 'duplicate' | 'late' | 'reboot';

export interface QualityEvent {
  type: QualityEventType;
  machine: string;
  bootId: string;
  /** first and last seq concerned (inclusive) */
  fromSeq: number;
  toSeq: number;
  count: number;
}

export interface SeqState {
  bootId: string;
  maxSeq: number;
  /** messages known missing in this boot (gaps minus late arrivals) */
  missing: number;
}

const WINDOW = 4096;

interface MachineTrack extends SeqState {
  /** ring of recently seen seq numbers, indexed by seq % WINDOW */
  seen: Float64Array;
}

export class SequenceTracker {
  private readonly machines = new Map<string, MachineTrack>();
  private readonly dirty = new Set<string>();

  /** States changed since the last call: what must be persisted with the next commit. */
  takeDirty(): Record<string, SeqState> {
    const out: Record<string, SeqState> = {};
    for (const machine of this.dirty) out[machine] = this.state(machine)!;
    this.dirty.clear();
    return out;
  }

  /** Records one message; returns the data-quality events it reveals (usually none). */
  observe(machine: string, bootId: string, seq: number): QualityEvent[] {
    this.dirty.add(machine);
    let track = this.machines.get(machine);
    if (!track || track.bootId !== bootId) {
      const events: QualityEvent[] = [];
      if (track) {
        events.push({ type: 'reboot', machine, bootId, fromSeq: seq, toSeq: seq, count: 1 });
      }
      track = { bootId, maxSeq: seq, missing: 0, seen: new Float64Array(WINDOW).fill(-1) };
      track.seen[seq % WINDOW] = seq;
      this.machines.set(machine, track);
      return events;
    }
    const slot = seq % WINDOW;
    if (seq > track.maxSeq) {
      const events: QualityEvent[] = [];
      if (seq > track.maxSeq + 1) {
        const count = seq - track.maxSeq - 1;
        track.missing += count;
        events.push({ type: 'gap', machine, bootId, fromSeq: track.maxSeq + 1, toSeq: seq - 1, count });
        // clear the slots of the skipped numbers so a late arrival is recognised as new
        for (let s = Math.max(track.maxSeq + 1, seq - WINDOW + 1); s < seq; s++) track.seen[s % WINDOW] = -1;
      }
      track.maxSeq = seq;
      track.seen[slot] = seq;
      return events;
    }
    if (track.seen[slot] === seq || seq <= track.maxSeq - WINDOW) {
      return [{ type: 'duplicate', machine, bootId, fromSeq: seq, toSeq: seq, count: 1 }];
    }
    track.seen[slot] = seq;
    if (track.missing > 0) track.missing--;
    return [{ type: 'late', machine, bootId, fromSeq: seq, toSeq: seq, count: 1 }];
  }

  state(machine: string): SeqState | undefined {
    const t = this.machines.get(machine);
    return t ? { bootId: t.bootId, maxSeq: t.maxSeq, missing: t.missing } : undefined;
  }

  /** Snapshot for persistence across ingest restarts. */
  snapshot(): Record<string, SeqState> {
    const out: Record<string, SeqState> = {};
    for (const [machine, t] of this.machines)
      out[machine] = { bootId: t.bootId, maxSeq: t.maxSeq, missing: t.missing };
    return out;
  }

  /**
   * Restores a snapshot. The seen-window is not persisted: numbers at or below the restored
   * maximum count as duplicates, which is what a redelivery after an ingest restart is.
   */
  restore(snapshot: Record<string, SeqState>): void {
    for (const [machine, s] of Object.entries(snapshot)) {
      const seen = new Float64Array(WINDOW).fill(-1);
      for (let q = Math.max(0, s.maxSeq - WINDOW + 1); q <= s.maxSeq; q++) seen[q % WINDOW] = q;
      this.machines.set(machine, { ...s, seen });
    }
  }
}
