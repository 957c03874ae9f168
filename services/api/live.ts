import type { BrokerLink, CommandRecord, CommandService, LinkMessage } from '../commands/index.js';
import type { MachineState, Warning } from '../contracts/index.js';

export interface LiveState {
  state: MachineState;
  ts: number;
  reason: string | null;
}

export type LiveEvent =
  | { kind: 'state'; machineId: string; tenant: string; data: LiveState }
  | { kind: 'warning'; machineId: string; tenant: string; data: Warning }
  | { kind: 'command'; machineId: string; tenant: string; data: CommandRecord };

/**
 * What is happening now: the latest state of every machine (states are retained on the broker,
 * so the link receives all of them on connect) and a fan-out of states, warnings and command
 * changes to the live streams. Scoping is the stream route's job; the hub sees everything.
 */
export class LiveHub {
  private readonly states = new Map<string, LiveState>();
  private readonly listeners = new Set<(e: LiveEvent) => void>();
  private readonly onLink = (m: LinkMessage) => {
    const base = { machineId: m.address.machine, tenant: m.address.tenant };
    if (m.kind === 'state') {
      const data = { state: m.payload.state, ts: m.payload.ts, reason: m.payload.reason ?? null };
      const prev = this.states.get(base.machineId);
      if (!prev || prev.ts <= data.ts) this.states.set(base.machineId, data);
      this.emit({ kind: 'state', ...base, data });
    } else if (m.kind === 'warning') {
      this.emit({ kind: 'warning', ...base, data: m.payload });
    }
  };
  private readonly onCommand = (c: CommandRecord) =>
    this.emit({ kind: 'command', machineId: c.machineId, tenant: c.tenant, data: c });

  constructor(
    private readonly link: BrokerLink | null,
    private readonly commands: CommandService | null,
  ) {}

  start(): void {
    this.link?.on('message', this.onLink);
    this.commands?.on('change', this.onCommand);
  }

  stop(): void {
    this.link?.off('message', this.onLink);
    this.commands?.off('change', this.onCommand);
    this.listeners.clear();
  }

  stateOf(machineId: string): LiveState | null {
    return this.states.get(machineId) ?? null;
  }

  subscribe(fn: (e: LiveEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  private emit(e: LiveEvent): void {
    for (const fn of this.listeners) {
      try {
        fn(e);
      } catch {
        // one broken stream never stops the others
      }
    }
  }
}
