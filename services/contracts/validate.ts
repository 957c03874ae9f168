import type { z } from 'zod';
import { isCertainlyTelemetry } from './fast-telemetry.js';
import {
  MESSAGE_SCHEMAS,
  type MessageKind,
  type PayloadOf,
  parseTopic,
  type TopicAddress,
} from './topics.js';

export type ValidationResult<K extends MessageKind = MessageKind> =
  | { ok: true; kind: K; payload: PayloadOf<K> }
  | { ok: false; reason: 'not-json' | 'schema' | 'topic'; message: string; issues?: z.core.$ZodIssue[] };

/** Formats zod issues as one line per issue: `samples.3.bladeSpeed: above 400 m/min …`. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], max = 5): string {
  const lines = issues
    .slice(0, max)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
  if (issues.length > max) lines.push(`… and ${issues.length - max} more`);
  return lines.join('; ');
}

/** Validates an already parsed value against the schema of one message kind. */
export function validateMessage<K extends MessageKind>(kind: K, value: unknown): ValidationResult<K> {
  // Nearly all traffic is telemetry: a compiled check of the same table accepts it without the
  // generic schema walk; anything it is not sure of goes to zod, which writes the error.
  if (kind === 'telemetry' && isCertainlyTelemetry(value))
    return { ok: true, kind, payload: value as PayloadOf<K> };
  const result = MESSAGE_SCHEMAS[kind].safeParse(value);
  if (result.success) return { ok: true, kind, payload: result.data as PayloadOf<K> };
  return {
    ok: false,
    reason: 'schema',
    message: formatIssues(result.error.issues),
    issues: result.error.issues,
  };
}

/** Validates raw bytes as they arrive on MQTT: JSON, then the schema of the topic's kind. */
export function validateRaw(kind: MessageKind, payload: Buffer | string): ValidationResult {
  let value: unknown;
  try {
    value = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: 'not-json', message: `payload is not JSON: ${(err as Error).message}` };
  }
  return validateMessage(kind, value);
}

export interface Decoded {
  address: TopicAddress | null;
  result: ValidationResult;
}

/**
 * Decoded messages by their payload buffer. In one process the broker hands the *same* buffer to
 * every in-process consumer (ingest, the warning engine, the databases builder), so the first one
 * parses and validates and the others reuse its result. The entries live as long as the buffer.
 * The decoded value is shared: consumers must treat it as read-only (the tests freeze it).
 */
const decodedByPayload = new WeakMap<Buffer, { topic: string; decoded: Decoded }>();
const FREEZE_SHARED = process.env.VITEST !== undefined;

function deepFreeze(x: unknown): void {
  if (typeof x !== 'object' || x === null || Object.isFrozen(x)) return;
  Object.freeze(x);
  for (const v of Object.values(x)) deepFreeze(v);
}

/** Resolves a topic then validates its payload; one decoding per payload buffer (see above). */
export function validateTopicPayload(topic: string, payload: Buffer | string): Decoded {
  if (typeof payload === 'string') return decodeTopicPayload(topic, payload);
  const hit = decodedByPayload.get(payload);
  if (hit !== undefined && hit.topic === topic) return hit.decoded;
  const decoded = decodeTopicPayload(topic, payload);
  if (FREEZE_SHARED && decoded.result.ok) deepFreeze(decoded.result.payload);
  decodedByPayload.set(payload, { topic, decoded });
  return decoded;
}

function decodeTopicPayload(topic: string, payload: Buffer | string): Decoded {
  const address = parseTopic(topic);
  if (!address) {
    return {
      address,
      result: { ok: false, reason: 'topic', message: `not a sawbrain/v1 topic: ${topic.slice(0, 200)}` },
    };
  }
  return { address, result: validateRaw(address.kind, payload) };
}
