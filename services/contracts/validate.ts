import type { z } from 'zod';
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

/** Resolves a topic then validates its payload. */
export function validateTopicPayload(
  topic: string,
  payload: Buffer | string,
): { address: TopicAddress | null; result: ValidationResult } {
  const address = parseTopic(topic);
  if (!address) {
    return {
      address,
      result: { ok: false, reason: 'topic', message: `not a sawbrain/v1 topic: ${topic.slice(0, 200)}` },
    };
  }
  return { address, result: validateRaw(address.kind, payload) };
}
