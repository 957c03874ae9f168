import type { FaultCause } from '../../seeds/index.js';
import type { Finding } from '../diagnosis/diagnose.js';
import type { MachineCtx } from '../machine.js';
import type { Evidence, RemainingLife } from '../types.js';

function fnv(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A warning id: type, time and a hash of (machine, type, time, counter); at most 45 characters. */
export function warningIdFor(machine: string, type: string, ts: number, n: number): string {
  return `w-${type.slice(0, 24)}-${ts.toString(36)}-${fnv(`${machine}|${type}|${ts}|${n}`).toString(16).padStart(8, '0')}`;
}

const fmt = (v: number | string | boolean) =>
  typeof v === 'number' ? String(Math.round(v * 1000) / 1000) : String(v);

/** Title, message, causes, evidence and remaining life of a warning from its finding. */
export function describeFinding(cause: FaultCause, f: Finding, m: MachineCtx) {
  const evidence: Evidence = {};
  let remainingLife: RemainingLife | undefined;
  for (const s of f.symptoms) {
    Object.assign(evidence, s.evidence);
    remainingLife ??= s.remainingLife;
  }
  const observed = f.symptoms
    .map(
      (s) =>
        `${s.symptom} (${Object.entries(s.evidence)
          .slice(0, 4)
          .map(([k, v]) => `${k} ${fmt(v)}`)
          .join(', ')})`,
    )
    .join('; ');
  const life = remainingLife
    ? ` About ${remainingLife.percent} % of the blade life left (${remainingLife.cuts} cuts).`
    : '';
  const message = `Observed: ${observed}.${life} Probable cause ${cause.id} (${Math.round(f.probability * 100)} %). ${cause.action}`;
  return {
    title: `${cause.title} on ${m.id}`.slice(0, 200),
    message: message.slice(0, 1000),
    causes: f.causes,
    evidence,
    remainingLife,
  };
}
