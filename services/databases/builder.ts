import type { AnyMessage, TopicAddress } from '../contracts/index.js';
import type { Point } from '../core/ports.js';
import type { MachineDirectory } from './directory.js';
import { type BookOptions, MachineBook } from './operations/machine-book.js';

/**
 * The streaming side of the databases, pure: validated messages of the standard in, points out,
 * in device time. One MachineBook per machine. The service feeds it from MQTT (or the broker
 * in-process); tests and replays feed it directly.
 */
export class StreamBuilder {
  private readonly books = new Map<string, MachineBook>();
  /** fleet device time: the latest timestamp any machine sent */
  horizon = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly directory: MachineDirectory,
    private readonly o: BookOptions,
  ) {}

  book(machine: string): MachineBook | undefined {
    return this.books.get(machine);
  }

  allBooks(): MachineBook[] {
    return [...this.books.values()];
  }

  private entry(a: TopicAddress, model?: string): MachineBook {
    let b = this.books.get(a.machine);
    if (!b) {
      const info = this.directory.get(a.machine, { tenant: a.tenant, ...(model ? { model } : {}) })!;
      b = new MachineBook(info, this.o);
      this.books.set(a.machine, b);
    }
    return b;
  }

  handle(a: TopicAddress, msg: AnyMessage): Point[] {
    const out: Point[] = [];
    switch (msg.kind) {
      case 'birth':
        this.entry(a, msg.payload.model).birth(msg.payload, out);
        break;
      case 'state':
        this.entry(a).state(msg.payload, out);
        break;
      case 'telemetry':
        out.push(...this.entry(a).telemetry(msg.payload));
        break;
      case 'cut':
        this.entry(a).cut(msg.payload, out);
        break;
      case 'blade':
        this.entry(a).blade(msg.payload, out);
        break;
      case 'alarm':
      case 'command-ack':
        this.entry(a).other(msg.payload.ts, out);
        break;
      default:
        return out;
    }
    const last = this.books.get(a.machine)?.lastSeen ?? Number.NEGATIVE_INFINITY;
    if (last > this.horizon) this.horizon = last;
    return out;
  }

  /** Resumes machines from their `machine_checkpoint` rows (at start, before any message). */
  restore(rows: readonly { tags: Record<string, string>; values: Record<string, unknown> }[]): number {
    let n = 0;
    for (const r of rows) {
      const machine = r.tags.machine;
      const tenant = r.tags.tenant;
      if (!machine || !tenant || this.books.has(machine)) continue;
      const b = this.entry({ tenant, machine, kind: 'state' });
      b.restore(r.values);
      if (b.lastSeen > this.horizon) this.horizon = b.lastSeen;
      n++;
    }
    return n;
  }

  /** Checkpoints of every machine (written by the rollups). */
  checkpoints(): Point[] {
    return this.allBooks().flatMap((b) => b.checkpoint() ?? []);
  }

  /** Points held back by every machine (open spans, minutes, ledger), up to `horizon`. */
  flush(horizon: number = this.horizon, final = false): Point[] {
    return this.allBooks().flatMap((b) => b.flush(horizon, final));
  }
}
