import type { z } from 'zod';
import { MachineId, TenantId } from './ids.js';
import { Alarm, Birth, BladeEvent, Command, CommandAck, Cut, State, Telemetry, Warning } from './messages.js';

/**
 * Topic namespace of the sawing data standard v1:
 *
 *   sawbrain/v1/{tenant}/{machine}/{kind}
 *
 * `tenant` is the manufacturer slug, `machine` the machine id (== MQTT client id). Uplink kinds
 * are published by the machine (or its gateway); `command` and `warning` are published by SawBrain.
 */
export const TOPIC_ROOT = 'sawbrain';
export const TOPIC_VERSION = 'v1';

export const MESSAGE_SCHEMAS = {
  birth: Birth,
  telemetry: Telemetry,
  cut: Cut,
  state: State,
  alarm: Alarm,
  blade: BladeEvent,
  command: Command,
  'command-ack': CommandAck,
  warning: Warning,
} as const;

export type MessageKind = keyof typeof MESSAGE_SCHEMAS;
/** The typed topic → payload map: `PayloadOf<'cut'>` is the cut record. */
export type PayloadOf<K extends MessageKind> = z.infer<(typeof MESSAGE_SCHEMAS)[K]>;
export type AnyMessage = { [K in MessageKind]: { kind: K; payload: PayloadOf<K> } }[MessageKind];

export const MESSAGE_KINDS = Object.keys(MESSAGE_SCHEMAS) as MessageKind[];
export const UPLINK_KINDS: readonly MessageKind[] = [
  'birth',
  'telemetry',
  'cut',
  'state',
  'alarm',
  'blade',
  'command-ack',
];
/** Published by SawBrain into a machine's namespace: commands and fault warnings. */
export const DOWNLINK_KINDS: readonly MessageKind[] = ['command', 'warning'];
/** Kinds whose last message is kept by the broker (retained). */
export const RETAINED_KINDS: readonly MessageKind[] = ['birth', 'state'];

export interface TopicAddress {
  tenant: string;
  machine: string;
  kind: MessageKind;
}

export function topicFor<K extends MessageKind>(tenant: string, machine: string, kind: K): string {
  return `${TOPIC_ROOT}/${TOPIC_VERSION}/${tenant}/${machine}/${kind}`;
}

/** Namespace prefix of one machine, e.g. for ACL checks: `sawbrain/v1/{tenant}/{machine}/`. */
export function machineNamespace(tenant: string, machine: string): string {
  return `${TOPIC_ROOT}/${TOPIC_VERSION}/${tenant}/${machine}/`;
}

/** Filter matching one kind for every machine: what a fleet-wide subscriber (ingest) uses. */
export function fleetFilter(kind: MessageKind | '#'): string {
  return `${TOPIC_ROOT}/${TOPIC_VERSION}/+/+/${kind}`;
}

/** Parses a concrete topic of the standard; null if it is not one. */
/** Topics already parsed: every message is addressed by one, and a fleet uses a few per machine. */
const parsed = new Map<string, Readonly<TopicAddress> | null>();

/** The address of a `sawbrain/v1/…` topic, or null. Cached per topic: the result is frozen, shared. */
export function parseTopic(topic: string): Readonly<TopicAddress> | null {
  let address = parsed.get(topic);
  if (address === undefined) {
    address = parseLevels(topic);
    if (parsed.size >= 100_000) parsed.clear();
    parsed.set(topic, address);
  }
  return address;
}

function parseLevels(topic: string): Readonly<TopicAddress> | null {
  const parts = topic.split('/');
  if (parts.length !== 5 || parts[0] !== TOPIC_ROOT || parts[1] !== TOPIC_VERSION) return null;
  const [, , tenant, machine, kind] = parts as [string, string, string, string, string];
  if (!(kind in MESSAGE_SCHEMAS)) return null;
  if (!TenantId.safeParse(tenant).success || !MachineId.safeParse(machine).success) return null;
  return Object.freeze({ tenant, machine, kind: kind as MessageKind });
}
