import { type AnyMessage, parseTopic, type TopicAddress, validateTopicPayload } from '../contracts/index.js';
import { TelemetryScan } from '../contracts/telemetry-scan.js';
import type { Point } from '../core/ports.js';
import type { DeadLetterInput } from './ingest-state.js';
import type { Cursor, JournalRecord } from './journal.js';
import { MEASUREMENTS, messageToPoints } from './points.js';
import type { QualityEvent, SequenceTracker } from './sequence.js';

/** What one journal record becomes: points to store, or a dead letter; plus data-quality events. */
export interface Converted {
  kind: string | null;
  points: Point[];
  samples: number;
  dead: DeadLetterInput | null;
  events: QualityEvent[];
  /**
   * Telemetry read by the scanner (the common case): its samples, not in `points`, for
   * `StoreBatch.addSamples` (or `scannedPoints`). Valid until the next `convertRecord`.
   */
  scanned: { tags: Record<string, string>; scan: TelemetryScan } | null;
}

/** one scanner, reused: a conversion's scan is used before the next conversion starts */
const scanner = new TelemetryScan();
/** one tags object per machine address (parseTopic shares its addresses): line protocol caches its head by it */
const tagsByAddress = new WeakMap<TopicAddress, Record<string, string>>();

function tagsOf(address: TopicAddress): Record<string, string> {
  let tags = tagsByAddress.get(address);
  if (tags === undefined) {
    tags = { tenant: address.tenant, machine: address.machine };
    tagsByAddress.set(address, tags);
  }
  return tags;
}

/** The message's points, and one data-quality point per sequence event. */
function pointsOf(address: TopicAddress, message: AnyMessage, events: readonly QualityEvent[]): Point[] {
  const points = messageToPoints(address, message);
  qualityPoints(points, address, message.kind, (message.payload as { ts: number }).ts, events);
  return points;
}

function qualityPoints(
  points: Point[],
  address: TopicAddress,
  kind: string,
  ts: number,
  events: readonly QualityEvent[],
): void {
  for (const e of events) {
    points.push({
      db: 'operations',
      measurement: MEASUREMENTS.dataQuality,
      tags: { tenant: address.tenant, machine: address.machine, type: e.type },
      fields: { bootId: e.bootId, fromSeq: e.fromSeq, toSeq: e.toSeq, count: e.count, kind },
      ts,
    });
  }
}

/**
 * The points `convertRecord` made of a record, again, given the sequence events it found then
 * (the tracker is not consulted twice): for writing a rejected batch one record at a time.
 */
export function reconvert(record: JournalRecord, events: readonly QualityEvent[]): Point[] {
  const { address, result } = validateTopicPayload(record.topic, record.payload);
  if (!result.ok || !address) return [];
  return pointsOf(address, { kind: result.kind, payload: result.payload } as AnyMessage, events);
}

export function positionOf(record: JournalRecord): string {
  return `${record.end.segment}:${record.end.offset}`;
}

/** Validates one record against the standard, tracks its `(bootId, seq)` and maps it to points. */
export function convertRecord(record: JournalRecord, tracker: SequenceTracker, now: number): Converted {
  const topicAddress = parseTopic(record.topic);
  if (topicAddress?.kind === 'telemetry' && scanner.scan(record.payload)) {
    // nearly all traffic: samples straight from the bytes, no objects (anything the scanner is
    // not certain of takes the general path below, which writes the error)
    const events = tracker.observe(topicAddress.machine, scanner.bootId, scanner.seq);
    const points: Point[] = [];
    qualityPoints(points, topicAddress, 'telemetry', scanner.ts, events);
    return {
      kind: 'telemetry',
      points,
      samples: scanner.samples,
      dead: null,
      events,
      scanned: { tags: tagsOf(topicAddress), scan: scanner },
    };
  }
  const { address, result } = validateTopicPayload(record.topic, record.payload);
  if (!result.ok || !address) {
    const reason = result.ok ? 'topic' : result.reason;
    const message = result.ok ? 'unknown topic' : result.message;
    return {
      kind: address?.kind ?? null,
      points: [],
      samples: 0,
      events: [],
      scanned: null,
      dead: {
        pos: positionOf(record),
        receivedAt: now,
        topic: record.topic,
        reason,
        message,
        payload: record.payload,
      },
    };
  }
  const message = { kind: result.kind, payload: result.payload } as AnyMessage;
  const payload = result.payload as { bootId: string; seq: number; lastWill?: boolean };
  // The last will is composed at connect time and published by the broker: outside the sequence.
  const events =
    payload.lastWill || message.kind === 'command'
      ? []
      : tracker.observe(address.machine, payload.bootId, payload.seq);
  const points = pointsOf(address, message, events);
  const samples = message.kind === 'telemetry' ? message.payload.samples.length : 0;
  return { kind: message.kind, points, samples, dead: null, events, scanned: null };
}

/** The dead letter of a record whose points the store refuses. */
export function rejected(
  points: readonly Point[],
  message: string,
  end: Cursor,
  now: number,
): DeadLetterInput {
  const first = points[0]!;
  return {
    pos: `rejected:${first.tags.machine}:${first.ts}:${end.segment}:${end.offset}`,
    receivedAt: now,
    topic: `${first.measurement}/${first.tags.tenant}/${first.tags.machine}`,
    reason: 'store-rejected',
    message,
    payload: Buffer.from(JSON.stringify(points).slice(0, 65_536)),
  };
}
