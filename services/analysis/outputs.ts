import { topicFor, Warning } from '../contracts/index.js';
import type { Point } from '../core/ports.js';
import type { LifecycleEvent, WarningRecord } from './lifecycle/record.js';

/** The published form of a warning (the contract's `warning` kind), validated before it leaves. */
export function toWarningMessage(r: WarningRecord, envelope: { ts: number; bootId: string; seq: number }) {
  const payload = Warning.parse({
    v: 1,
    ...envelope,
    warningId: r.warningId,
    type: r.type,
    rule: r.rule.slice(0, 64),
    severity: r.severity,
    state: r.state,
    title: r.title,
    message: r.message,
    raisedAt: r.raisedAt,
    occurrences: r.occurrences,
    causes: r.causes.slice(0, 10),
    evidence: r.evidence,
    ...(r.remainingLife ? { remainingLife: r.remainingLife } : {}),
  });
  return { topic: topicFor(r.tenant, r.machine, 'warning'), payload };
}

/** History points of the algorithms database: measurement `warning_event`. */
export function eventPoints(events: readonly LifecycleEvent[]): Point[] {
  return events.map((e) => ({
    db: 'algorithms',
    measurement: 'warning_event',
    tags: { tenant: e.tenant, machine: e.machine, type: e.type, action: e.action },
    fields: {
      warningId: e.warningId,
      rule: e.rule,
      state: e.state,
      severity: e.severity,
      occurrences: e.occurrences,
      ...(e.by ? { by: e.by } : {}),
      ...(e.note ? { note: e.note } : {}),
    },
    ts: e.ts,
  }));
}

/** Feedback as a point of the algorithms database: measurement `warning_feedback`. */
export function feedbackPoint(
  r: WarningRecord,
  verdict: string,
  cause: string | null,
  author: string,
  at: number,
): Point {
  return {
    db: 'algorithms',
    measurement: 'warning_feedback',
    tags: { tenant: r.tenant, machine: r.machine, type: r.type, verdict },
    fields: { warningId: r.warningId, rule: r.rule, by: author, ...(cause ? { cause } : {}) },
    ts: at,
  };
}
