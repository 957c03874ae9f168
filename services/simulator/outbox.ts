import type { Birth, Sample } from '../contracts/messages.js';
import { type MessageKind, RETAINED_KINDS, topicFor } from '../contracts/topics.js';
import type { Body, SimEvent } from './types.js';

/** One message as it goes on the wire: topic, JSON payload object, retain flag. */
export interface OutMessage {
  topic: string;
  kind: MessageKind;
  payload: Record<string, unknown>;
  retain: boolean;
  /** samples carried (telemetry) */
  samples: number;
}

/**
 * Turns simulator events into messages of the standard: adds the envelope `{v, bootId, seq}`
 * with `seq` +1 per message of this boot, batches samples `samplesPerMessage` at a time and
 * marks birth and state retained. Shared by the MQTT device and the offline runner, so both
 * produce the same bytes for the same seed.
 */
export class Outbox {
  private seq = 0;
  private buffer: Sample[] = [];

  constructor(
    readonly tenant: string,
    readonly machineId: string,
    readonly bootId: string,
    readonly samplesPerMessage: number,
  ) {}

  /** The sequence number the next message will carry. */
  get nextSeq(): number {
    return this.seq;
  }

  private message(kind: MessageKind, body: object, samples = 0): OutMessage {
    const payload = { v: 1, ...body, bootId: this.bootId, seq: this.seq++ };
    return {
      topic: topicFor(this.tenant, this.machineId, kind),
      kind,
      payload,
      retain: RETAINED_KINDS.includes(kind),
      samples,
    };
  }

  birth(body: Body<Birth>): OutMessage {
    return this.message('birth', body);
  }

  /** Messages for `events`; samples are held until a batch is full. */
  push(events: readonly SimEvent[]): OutMessage[] {
    const out: OutMessage[] = [];
    for (const e of events) {
      if (e.kind === 'sample') {
        this.buffer.push(e.sample);
        if (this.buffer.length >= this.samplesPerMessage) out.push(this.telemetry());
      } else out.push(this.message(e.kind, e.body));
    }
    return out;
  }

  /** The partial telemetry batch, if any. */
  flush(): OutMessage[] {
    return this.buffer.length > 0 ? [this.telemetry()] : [];
  }

  private telemetry(): OutMessage {
    const samples = this.buffer;
    this.buffer = [];
    return this.message('telemetry', { ts: samples[samples.length - 1]!.ts, samples }, samples.length);
  }

  /** Graceful shutdown: state offline as a regular message (counts in seq). */
  offline(ts: number, reason = 'shutdown'): OutMessage {
    return this.message('state', { ts, state: 'offline', reason });
  }

  /** The MQTT last will: retained state offline, exempt from seq tracking (does not consume a seq). */
  will(ts: number): OutMessage {
    return {
      topic: topicFor(this.tenant, this.machineId, 'state'),
      kind: 'state',
      payload: {
        v: 1,
        ts,
        bootId: this.bootId,
        seq: 0,
        state: 'offline',
        lastWill: true,
        reason: 'connection lost',
      },
      retain: true,
      samples: 0,
    };
  }
}
