import type { Client } from 'aedes';

/**
 * Works around aedes' per-subscriber duplicate filter (moscajs/aedes#955). aedes numbers a
 * packet when `publish()` starts and drops, for each subscriber, any packet whose number is not
 * above the highest it already delivered. But a QoS>0 or retained packet waits on persistence
 * before it is emitted, so a packet numbered later (e.g. plain telemetry) can overtake an earlier
 * one (a retained `state`), and the earlier one is then silently lost — for ingest, a lost
 * message. Renumbering at emit time fixes the order but breaks the persistence lookup of
 * persistent sessions (stored under the old number: "no such packet" on PUBACK).
 *
 * So the filter is switched off per client: `client.duplicates` becomes a map that never
 * remembers. The only cost is that a client with *overlapping* subscriptions may receive one
 * copy per matching subscription, which MQTT 3.1.1 permits; SawBrain's ACL gives machines
 * exactly one subscription and services non-overlapping filters.
 */
const NEVER_SEEN: Record<string, number> = new Proxy(Object.create(null) as Record<string, number>, {
  get: () => 0,
  set: () => true,
  deleteProperty: () => true,
});

export function disableDuplicateFilter(client: Client): void {
  (client as unknown as { duplicates: Record<string, number> }).duplicates = NEVER_SEEN;
}
