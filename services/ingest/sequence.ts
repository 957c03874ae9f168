/**
 * Per-machine `(bootId, seq)` tracking: turns gaps, duplicates, late arrivals and reboots into
 * data-quality events. Pure logic, no I/O; the ingest service stores the events it returns.
 *
 * Within one boot a device numbers every message it publishes +1. A jump ahead is a gap (the
 * messages in between are missing, for now); a number seen before is a duplicate; a number that
 * fills an earlier gap is a late arrival (and reduces the outstanding gap). A few recent boots
 * are tracked per machine, because an edge gateway restarted mid-outage sends the backlog of
 * its previous boot interleaved with the live data of the new one: switching between known
 * boots is not a reboot, only a boot never seen before is.
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

/** One persisted row: a boot of a machine. */
export interface BootState extends SeqState {
  machine: string;
}

const WINDOW = 4096;
/** boots remembered per machine */
export const BOOTS_PER_MACHINE = 4;

interface Track extends SeqState {
  /** ring of recently seen seq numbers, indexed by seq % WINDOW */
  seen: Float64Array;
}

function newTrack(bootId: string, maxSeq: number, missing: number, seenUpTo: boolean): Track {
  const seen = new Float64Array(WINDOW).fill(-1);
  if (seenUpTo) for (let q = Math.max(0, maxSeq - WINDOW + 1); q <= maxSeq; q++) seen[q % WINDOW] = q;
  else seen[maxSeq % WINDOW] = maxSeq;
  return { bootId, maxSeq, missing, seen };
}

export class SequenceTracker {
  /** machine → boots, least recently used first (Map insertion order) */
  private readonly machines = new Map<string, Map<string, Track>>();
  private readonly dirty = new Map<string, Set<string>>();

  /** Records one message; returns the data-quality events it reveals (usually none). */
  observe(machine: string, bootId: string, seq: number): QualityEvent[] {
    let boots = this.machines.get(machine);
    if (!boots) {
      boots = new Map();
      this.machines.set(machine, boots);
    }
    this.markDirty(machine, bootId);
    const track = boots.get(bootId);
    if (!track) {
      const events: QualityEvent[] =
        boots.size > 0 ? [{ type: 'reboot', machine, bootId, fromSeq: seq, toSeq: seq, count: 1 }] : [];
      boots.set(bootId, newTrack(bootId, seq, 0, false));
      if (boots.size > BOOTS_PER_MACHINE) boots.delete(boots.keys().next().value!);
      return events;
    }
    boots.delete(bootId); // move to most recent
    boots.set(bootId, track);
    return this.observeIn(track, machine, bootId, seq);
  }

  private observeIn(track: Track, machine: string, bootId: string, seq: number): QualityEvent[] {
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

  private markDirty(machine: string, bootId: string): void {
    let boots = this.dirty.get(machine);
    if (!boots) {
      boots = new Set();
      this.dirty.set(machine, boots);
    }
    boots.add(bootId);
  }

  /** The most recent boot of a machine. */
  state(machine: string): SeqState | undefined {
    const boots = this.machines.get(machine);
    const last = boots ? [...boots.values()].at(-1) : undefined;
    return last ? { bootId: last.bootId, maxSeq: last.maxSeq, missing: last.missing } : undefined;
  }

  /** Boot states changed since the last call: what must be persisted with the next commit. */
  takeDirty(): BootState[] {
    const out: BootState[] = [];
    for (const [machine, dirtyBoots] of this.dirty) {
      // least recently used first, so that persisted recency follows the tracker's
      for (const t of this.machines.get(machine)?.values() ?? []) {
        if (dirtyBoots.has(t.bootId))
          out.push({ machine, bootId: t.bootId, maxSeq: t.maxSeq, missing: t.missing });
      }
    }
    this.dirty.clear();
    return out;
  }

  /**
   * Restores persisted boots, oldest first. The seen-window is not persisted: numbers at or
   * below a restored maximum count as duplicates, which is what a redelivery after an ingest
   * restart is.
   */
  restore(rows: readonly BootState[]): void {
    for (const r of rows) {
      let boots = this.machines.get(r.machine);
      if (!boots) {
        boots = new Map();
        this.machines.set(r.machine, boots);
      }
      boots.delete(r.bootId);
      boots.set(r.bootId, newTrack(r.bootId, r.maxSeq, r.missing, true));
      if (boots.size > BOOTS_PER_MACHINE) boots.delete(boots.keys().next().value!);
    }
  }
}
