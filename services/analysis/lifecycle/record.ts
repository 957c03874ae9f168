import { z } from 'zod';
import { ProbableCause, Warning, WarningSeverity, WarningState } from '../../contracts/index.js';

/**
 * A warning as the analysis keeps it: the published contract fields plus the lifecycle flags
 * (OPC UA Part 9 / ISA-18.2: active, acknowledged, shelved, suppressed, closed) the published
 * `state` is derived from. Stored in SQLite and returned by the service API.
 */
export const WarningRecord = z.object({
  warningId: z.string(),
  tenant: z.string(),
  machine: z.string(),
  plant: z.string().nullable(),
  type: z.string(),
  rule: z.string(),
  severity: WarningSeverity,
  title: z.string(),
  message: z.string(),
  raisedAt: z.number(),
  lastRaisedAt: z.number(),
  updatedAt: z.number(),
  clearedAt: z.number().nullable(),
  closedAt: z.number().nullable(),
  occurrences: z.number().int().min(1),
  causes: z.array(ProbableCause),
  evidence: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
  remainingLife: Warning.shape.remainingLife,
  active: z.boolean(),
  acked: z.boolean(),
  ackedBy: z.string().nullable(),
  shelvedUntil: z.number().nullable(),
  suppressed: z.enum(['state', 'flood']).nullable(),
  /** published at least once (a warning suppressed from the start and gone again never is) */
  annunciated: z.boolean(),
  /** off-delay: the condition is gone since then (device time); it clears once gone long enough */
  clearPendingSince: z.number().nullable().default(null),
  /** times it came back soon after clearing (chattering); each doubles its off-delay */
  chatter: z.number().int().min(0).default(0),
  state: WarningState,
});
export type WarningRecord = z.infer<typeof WarningRecord>;

export const LifecycleAction = z.enum([
  'raise',
  'reactivate',
  'clear',
  'ack',
  'shelve',
  'unshelve',
  'suppress',
  'unsuppress',
  'resolve',
  'feedback',
]);
export type LifecycleAction = z.infer<typeof LifecycleAction>;

/** One step of a warning's history (SQLite history and the `warning_event` measurement). */
export const LifecycleEvent = z.object({
  ts: z.number(),
  warningId: z.string(),
  tenant: z.string(),
  machine: z.string(),
  type: z.string(),
  rule: z.string(),
  action: LifecycleAction,
  state: WarningState,
  severity: WarningSeverity,
  occurrences: z.number().int(),
  by: z.string().nullable(),
  note: z.string().nullable(),
});
export type LifecycleEvent = z.infer<typeof LifecycleEvent>;

/** The published state of a record at time `now`. */
export function stateOf(r: WarningRecord, now: number): WarningRecord['state'] {
  if (r.closedAt !== null) return 'resolved';
  if (r.shelvedUntil !== null && r.shelvedUntil > now) return 'shelved';
  if (r.suppressed !== null) return 'suppressed';
  if (r.active) return r.acked ? 'acknowledged' : 'raised';
  return r.acked ? 'resolved' : 'cleared';
}

export function eventOf(
  r: WarningRecord,
  ts: number,
  action: LifecycleAction,
  by: string | null = null,
  note: string | null = null,
): LifecycleEvent {
  return {
    ts,
    warningId: r.warningId,
    tenant: r.tenant,
    machine: r.machine,
    type: r.type,
    rule: r.rule,
    action,
    state: r.state,
    severity: r.severity,
    occurrences: r.occurrences,
    by,
    note,
  };
}
