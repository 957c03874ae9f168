import { z } from 'zod';
import type { AnalysisService, WarningRecord } from '../../analysis/index.js';
import { ProbableCause, WarningSeverity, WarningState } from '../../contracts/index.js';
import { SawBrainError } from '../../core/errors.js';
import type { ApiIdentity } from '../../registry/index.js';
import { outOfScope, sees } from '../access.js';
import type { ApiDeps } from '../deps.js';

const Evidence = z.record(z.string(), z.union([z.number(), z.string(), z.boolean()]));
const RemainingLife = z
  .object({
    areaCm2: z.number(),
    cuts: z.number(),
    percent: z.number(),
    lowCm2: z.number(),
    highCm2: z.number(),
  })
  .nullable();

export const WarningView = z.object({
  warningId: z.string(),
  machineId: z.string(),
  tenant: z.string(),
  plant: z.string().nullable(),
  type: z.string(),
  rule: z.string(),
  severity: WarningSeverity,
  state: WarningState,
  title: z.string(),
  message: z.string(),
  raisedAt: z.number(),
  lastRaisedAt: z.number(),
  updatedAt: z.number(),
  clearedAt: z.number().nullable(),
  closedAt: z.number().nullable(),
  occurrences: z.number().int(),
  active: z.boolean(),
  acked: z.boolean(),
  ackedBy: z.string().nullable(),
  shelvedUntil: z.number().nullable(),
  suppressed: z.enum(['state', 'flood']).nullable(),
  causes: z.array(ProbableCause),
  evidence: Evidence,
  remainingLife: RemainingLife,
});
export type WarningView = z.infer<typeof WarningView>;

export const warningExample: WarningView = {
  warningId: 'w_CL-GZ4235-001_blade-wear_1764400000000',
  machineId: 'CL-GZ4235-001',
  tenant: 'chenlong',
  plant: 'ningbo-autoparts',
  type: 'blade-wear',
  rule: 'blade-wear-rate@1',
  severity: 'warning',
  state: 'raised',
  title: 'Blade wearing faster than its baseline',
  message: 'specific cutting energy +28 % over 40 cuts',
  raisedAt: 1_764_400_000_000,
  lastRaisedAt: 1_764_400_000_000,
  updatedAt: 1_764_400_000_000,
  clearedAt: null,
  closedAt: null,
  occurrences: 1,
  active: true,
  acked: false,
  ackedBy: null,
  shelvedUntil: null,
  suppressed: null,
  causes: [{ cause: 'blade-wear', probability: 0.81, action: 'plan a blade change' }],
  evidence: { eARise: 0.28 },
  remainingLife: { areaCm2: 5200, cuts: 17, percent: 12, lowCm2: 3900, highCm2: 6800 },
};

export function warningView(w: WarningRecord): WarningView {
  return {
    warningId: w.warningId,
    machineId: w.machine,
    tenant: w.tenant,
    plant: w.plant,
    type: w.type,
    rule: w.rule,
    severity: w.severity,
    state: w.state,
    title: w.title,
    message: w.message,
    raisedAt: w.raisedAt,
    lastRaisedAt: w.lastRaisedAt,
    updatedAt: w.updatedAt,
    clearedAt: w.clearedAt,
    closedAt: w.closedAt,
    occurrences: w.occurrences,
    active: w.active,
    acked: w.acked,
    ackedBy: w.ackedBy,
    shelvedUntil: w.shelvedUntil,
    suppressed: w.suppressed,
    causes: w.causes,
    evidence: w.evidence,
    remainingLife: w.remainingLife ?? null,
  };
}

export function needAnalysis(deps: ApiDeps): AnalysisService {
  if (!deps.analysis) throw new SawBrainError('UNAVAILABLE', 'the analysis service is not running here');
  return deps.analysis;
}

/** May the key see this warning? Decided by the registry's record of its machine. */
export function seesWarning(deps: ApiDeps, id: ApiIdentity, w: WarningRecord): boolean {
  const m = deps.registry.get(w.machine);
  return sees(id, m ?? { tenant: w.tenant, plant: w.plant ?? '' });
}

export function warningFor(deps: ApiDeps, id: ApiIdentity, warningId: string): WarningRecord {
  const w = needAnalysis(deps).get(warningId);
  if (!w || !seesWarning(deps, id, w)) throw outOfScope(id, `warning ${warningId}`);
  return w;
}
