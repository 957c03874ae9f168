import {
  type MessageKind,
  RETAINED_KINDS,
  type Sample,
  topicFor,
  validateMessage,
} from '../../services/contracts/index.js';
import type { Logger } from '../../services/core/logger.js';
import type { EdgeMetrics } from '../metrics.js';
import type { OutboxStore } from './store.js';

export interface StreamDeps {
  tenant: string;
  machineId: string;
  bootId: string;
  outbox: OutboxStore;
  /** the uplink: told about each new message; its in-flight rows are never dropped */
  uplink: { notify(): void; readonly inFlight: ReadonlySet<number> };
  metrics: EdgeMetrics;
  logger: Logger;
  now: () => number;
  maxPacketBytes: number;
}

/**
 * One machine's message stream for this gateway boot: adds the envelope `{v, bootId, seq}`,
 * validates the message against the contracts (an invalid one is counted and logged, never
 * sent, and uses no seq), commits it to the outbox and wakes the uplink. `seq` counts +1 per
 * committed message, so the outbox holds an unbroken sequence for each (machine, boot).
 */
export class MachineStream {
  private seq = 0;
  private readonly log: Logger;

  constructor(private readonly d: StreamDeps) {
    this.log = d.logger.child({ machineId: d.machineId });
  }

  get machineId(): string {
    return this.d.machineId;
  }

  get bootId(): string {
    return this.d.bootId;
  }

  get nextSeq(): number {
    return this.seq;
  }

  /** Numbers, validates and stores one message; false when it broke the standard. */
  emit(kind: MessageKind, body: Record<string, unknown>): boolean {
    const d = this.d;
    const payload = { v: 1, ...body, bootId: d.bootId, seq: this.seq };
    const result = validateMessage(kind, payload);
    if (!result.ok) {
      d.metrics.invalidMessages.inc({ machine: d.machineId, kind });
      this.log.warn({ kind, problem: result.message }, 'message breaks the standard: not sent');
      return false;
    }
    const json = JSON.stringify(payload);
    const samples = kind === 'telemetry' ? (body.samples as Sample[]).length : 0;
    if (kind === 'telemetry' && samples > 1 && Buffer.byteLength(json) > d.maxPacketBytes) {
      // too big for the broker: two halves, each numbered
      const all = body.samples as Sample[];
      const half = Math.ceil(samples / 2);
      const a = all.slice(0, half);
      const b = all.slice(half);
      return (
        this.emit(kind, { ...body, ts: a[a.length - 1]!.ts, samples: a }) &&
        this.emit(kind, { ...body, ts: b[b.length - 1]!.ts, samples: b })
      );
    }
    const { dropped } = d.outbox.enqueue(
      {
        machine: d.machineId,
        boot: d.bootId,
        seq: this.seq,
        kind,
        topic: topicFor(d.tenant, d.machineId, kind),
        retain: RETAINED_KINDS.includes(kind),
        payload: json,
        samples,
        created: d.now(),
      },
      d.uplink.inFlight,
    );
    this.seq++;
    d.metrics.enqueued.inc({ machine: d.machineId, kind });
    if (dropped) {
      d.metrics.dropped.inc({ reason: dropped.reason }, dropped.messages);
      d.metrics.droppedSamples.inc({ reason: dropped.reason }, dropped.samples);
      this.log.warn(dropped, 'outbox full: oldest messages dropped');
    }
    d.uplink.notify();
    return true;
  }
}
