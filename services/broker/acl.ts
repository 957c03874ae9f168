import { MachineId, TenantId } from '../contracts/ids.js';
import {
  DOWNLINK_KINDS,
  MESSAGE_KINDS,
  type MessageKind,
  RETAINED_KINDS,
  TOPIC_ROOT,
  TOPIC_VERSION,
  UPLINK_KINDS,
} from '../contracts/topics.js';
import type { Principal, ServiceScope } from '../registry/types.js';

/**
 * Topic rights, derived from the principal alone: pure functions, no I/O.
 *
 *   machine   publish its own uplink kinds; subscribe exactly its own `command` topic
 *   gateway   the same, for each machine it speaks for (one tenant)
 *   ingest    subscribe any machine's topics (`sawbrain/v1/+/+/<kind>`, `sawbrain/v1/+/+/#`)
 *   analysis  subscribe uplinks; publish `…/warning`
 *   commander publish `…/command`; subscribe `…/command-ack`
 *   admin     subscribe anything (incl. `$SYS/#`); publish anything but `$…`
 *
 * Everywhere: no empty topics, no topics deeper than the broker limit, no NUL, retained
 * messages only on RETAINED_KINDS, no publishing to `$` topics.
 */

/** `warning` is published by analysis back into a machine's namespace. */
export const WARNING_KIND = 'warning' satisfies MessageKind;
export type AclKind = MessageKind;
export const ACL_KINDS: readonly AclKind[] = MESSAGE_KINDS;
const KNOWN_KINDS: ReadonlySet<string> = new Set(ACL_KINDS);
const RETAINED: ReadonlySet<string> = new Set(RETAINED_KINDS);

export type DenyReason =
  | 'empty'
  | 'too-deep'
  | 'malformed'
  | 'wildcard'
  | 'reserved'
  | 'not-standard'
  | 'unknown-kind'
  | 'kind'
  | 'foreign'
  | 'retain'
  | 'will'
  | 'unauthenticated';

export type Decision = { ok: true } | { ok: false; reason: DenyReason };

export interface AclLimits {
  maxTopicLevels: number;
}

/** A set of (tenant, machine, kind) triples; null tenant/machines = any. */
interface Grant {
  tenant: string | null;
  machines: ReadonlySet<string> | null;
  kinds: ReadonlySet<string>;
}

export interface Rights {
  readonly kind: Principal['kind'];
  readonly publish: readonly Grant[];
  readonly subscribe: readonly Grant[];
  /** machines and gateways may only subscribe to concrete topics */
  readonly exactSubscribe: boolean;
  /** admin: any non-`$` topic */
  readonly publishAny: boolean;
  /** admin: any filter, `$SYS` included */
  readonly subscribeAny: boolean;
}

const ALLOW: Decision = Object.freeze({ ok: true });
const deny = (reason: DenyReason): Decision => ({ ok: false, reason });
const set = (items: readonly string[]): ReadonlySet<string> => new Set(items);

const SCOPE_GRANTS: Record<
  ServiceScope,
  { publish: readonly string[]; subscribe: readonly string[]; any?: boolean }
> = {
  ingest: { publish: [], subscribe: ACL_KINDS },
  analysis: { publish: [WARNING_KIND], subscribe: UPLINK_KINDS },
  commander: { publish: ['command'], subscribe: ['command-ack'] },
  admin: { publish: [], subscribe: [], any: true },
};

/** What a principal may do; compute once per connection. */
export function rightsOf(principal: Principal): Rights {
  switch (principal.kind) {
    case 'machine':
    case 'gateway': {
      const machines = set(principal.kind === 'machine' ? [principal.machineId] : principal.machines);
      return {
        kind: principal.kind,
        publish: [{ tenant: principal.tenant, machines, kinds: set(UPLINK_KINDS) }],
        subscribe: [{ tenant: principal.tenant, machines, kinds: set(DOWNLINK_KINDS) }],
        exactSubscribe: true,
        publishAny: false,
        subscribeAny: false,
      };
    }
    case 'service': {
      const publish: Grant[] = [];
      const subscribe: Grant[] = [];
      let any = false;
      for (const scope of principal.scopes) {
        const g = SCOPE_GRANTS[scope];
        if (!g) continue;
        any ||= g.any === true;
        if (g.publish.length) publish.push({ tenant: null, machines: null, kinds: set(g.publish) });
        if (g.subscribe.length) subscribe.push({ tenant: null, machines: null, kinds: set(g.subscribe) });
      }
      return {
        kind: 'service',
        publish,
        subscribe,
        exactSubscribe: false,
        publishAny: any,
        subscribeAny: any,
      };
    }
  }
}

/** Number of levels (`a/b` = 2, `` = 1, `/` = 2), as MQTT and aedes count them. */
export function topicLevels(topic: string): number {
  let n = 1;
  for (let i = 0; i < topic.length; i++) if (topic.charCodeAt(i) === 47) n++;
  return n;
}

interface Address {
  tenant: string;
  machine: string;
  kind: string;
}

/** Topics already parsed (every publish is checked; a fleet uses a few topics per machine). */
const parsedTopics = new Map<string, Readonly<Address> | null>();

/** `sawbrain/v1/{tenant}/{machine}/{kind}` with valid ids and a known kind (warning included). */
export function parseAclTopic(topic: string): Readonly<Address> | null {
  let address = parsedTopics.get(topic);
  if (address === undefined) {
    address = parseTopicLevels(topic);
    if (parsedTopics.size >= 100_000) parsedTopics.clear();
    parsedTopics.set(topic, address);
  }
  return address;
}

function parseTopicLevels(topic: string): Readonly<Address> | null {
  const parts = topic.split('/');
  if (parts.length !== 5 || parts[0] !== TOPIC_ROOT || parts[1] !== TOPIC_VERSION) return null;
  const [, , tenant, machine, kind] = parts as [string, string, string, string, string];
  if (!KNOWN_KINDS.has(kind)) return null;
  if (!TenantId.safeParse(tenant).success || !MachineId.safeParse(machine).success) return null;
  return Object.freeze({ tenant, machine, kind });
}

function hasWildcard(topic: string): boolean {
  return topic.includes('+') || topic.includes('#');
}

function matchGrant(
  grants: readonly Grant[],
  tenant: string | null,
  machine: string | null,
  kinds: readonly string[],
): Decision {
  let sameOwner = false;
  for (const g of grants) {
    if (g.tenant !== null && g.tenant !== tenant) continue;
    if (g.machines !== null && (machine === null || !g.machines.has(machine))) continue;
    sameOwner = true;
    if (kinds.every((k) => g.kinds.has(k))) return ALLOW;
  }
  return deny(sameOwner ? 'kind' : 'foreign');
}

/** May `rights` publish `topic` (with the retain flag)? */
export function canPublish(rights: Rights, topic: string, retain: boolean, limits: AclLimits): Decision {
  if (topic.length === 0) return deny('empty');
  if (topicLevels(topic) > limits.maxTopicLevels) return deny('too-deep');
  if (topic.includes('\u0000')) return deny('malformed');
  if (hasWildcard(topic)) return deny('wildcard');
  if (topic.charCodeAt(0) === 36 /* $ */) return deny('reserved');
  const address = parseAclTopic(topic);
  if (retain && !(address && RETAINED.has(address.kind))) return deny('retain');
  if (rights.publishAny) return ALLOW;
  if (!address) return deny('not-standard');
  return matchGrant(rights.publish, address.tenant, address.machine, [address.kind]);
}

/** May `rights` subscribe `filter`? Wildcard filters are allowed only if every topic they match is. */
export function canSubscribe(rights: Rights, filter: string, limits: AclLimits): Decision {
  if (filter.length === 0) return deny('empty');
  if (topicLevels(filter) > limits.maxTopicLevels) return deny('too-deep');
  if (filter.includes('\u0000')) return deny('malformed');
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level.length > 1 && hasWildcard(level)) return deny('malformed');
    if (level === '#' && i !== levels.length - 1) return deny('malformed');
  }
  if (rights.subscribeAny) return ALLOW;
  if (filter.charCodeAt(0) === 36 /* $ */) return deny('reserved');
  const wildcard = hasWildcard(filter);
  if (rights.exactSubscribe && wildcard) return deny('wildcard');
  if (levels.length !== 5 || levels[0] !== TOPIC_ROOT || levels[1] !== TOPIC_VERSION)
    return deny(wildcard ? 'wildcard' : 'not-standard');
  const [, , tenant, machine, kind] = levels as [string, string, string, string, string];
  if (tenant !== '+' && !TenantId.safeParse(tenant).success) return deny('not-standard');
  if (machine !== '+' && !MachineId.safeParse(machine).success) return deny('not-standard');
  const kinds = kind === '+' || kind === '#' ? ACL_KINDS : KNOWN_KINDS.has(kind) ? [kind] : null;
  if (!kinds) return deny('unknown-kind');
  return matchGrant(
    rights.subscribe,
    tenant === '+' ? null : tenant,
    machine === '+' ? null : machine,
    kinds,
  );
}

/**
 * May the connection carry this will? It must be a topic the principal may publish; machines
 * and gateways may only leave a will on a `state` topic of their own (the "went offline" state).
 */
export function canWill(rights: Rights, topic: string, retain: boolean, limits: AclLimits): Decision {
  const d = canPublish(rights, topic, retain, limits);
  if (!d.ok) return d;
  if (rights.kind !== 'service' && parseAclTopic(topic)?.kind !== 'state') return deny('will');
  return ALLOW;
}
