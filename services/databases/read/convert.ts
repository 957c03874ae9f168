import type { FieldValue, SeriesRow } from '../../core/ports.js';
import type {
  BaselineRow,
  BladeLedgerRow,
  CutRow,
  EnergyRow,
  FeedbackRow,
  LifeModelRow,
  RecommendationRow,
  ReplacementRow,
  RulePrecisionRow,
  RuleVersionRow,
  StateSpanRow,
  UtilisationRow,
  WarningEventRow,
  WearPartRow,
} from '../rows.js';
import { bool, num, str } from '../store-read.js';
import { ledgerFromRow } from '../supplychain/life.js';

/** Store rows → rows of the read interface (rows.ts), one function per measurement. */

const opt = <K extends string>(k: K, v: FieldValue | null | undefined) =>
  v === null || v === undefined ? {} : ({ [k]: v } as Record<K, never>);
const optNum = <K extends string>(k: K, v: FieldValue | null | undefined) =>
  typeof v === 'number' ? ({ [k]: v } as Record<K, number>) : {};
const who = (r: SeriesRow) => ({ tenant: r.tags.tenant ?? '', machine: r.tags.machine ?? '' });

export function cutRow(r: SeriesRow): CutRow {
  const v = r.values;
  return {
    ts: r.ts,
    ...who(r),
    cutId: str(v.cutId) ?? '',
    end: num(v.end, r.ts),
    durationS: num(v.durationS),
    completed: bool(v.completed),
    materialGrade: str(v.materialGrade) ?? '',
    materialClass: str(v.materialClass) ?? 'unknown',
    sectionShape: str(v.sectionShape) ?? '',
    sizeMm: num(v.sizeMm),
    areaCm2: num(v.areaCm2),
    cuttingRateCm2Min: num(v.cuttingRateCm2Min),
    bladeId: str(v.bladeId) ?? '',
    energyKWh: num(v.energyKWh),
    cuttingEnergyKWh: num(v.cuttingEnergyKWh),
    telemetryEnergyKWh: num(v.telemetryEnergyKWh),
    kWhPerCm2: num(v.kWhPerCm2),
    co2Kg: num(v.co2Kg),
    idealS: num(v.idealS),
    shift: r.tags.shift ?? '',
  };
}

export function stateRow(r: SeriesRow): StateSpanRow {
  return {
    ts: r.ts,
    ...who(r),
    state: (r.tags.state ?? 'offline') as StateSpanRow['state'],
    end: num(r.values.end, r.ts),
    durationS: num(r.values.durationS),
    ...(opt('reason', r.values.reason) as { reason?: string }),
    open: bool(r.values.open),
  };
}

export function utilisationRow(r: SeriesRow): UtilisationRow {
  const v = r.values;
  return {
    ts: r.ts,
    period: (r.tags.period ?? 'hour') as UtilisationRow['period'],
    ...who(r),
    wallS: num(v.wallS),
    cuttingS: num(v.cuttingS),
    runningS: num(v.runningS),
    idleS: num(v.idleS),
    offShiftS: num(v.offShiftS),
    setupS: num(v.setupS),
    bladeChangeS: num(v.bladeChangeS),
    alarmS: num(v.alarmS),
    offlineS: num(v.offlineS),
    availability: num(v.availability),
    performance: num(v.performance),
    quality: num(v.quality),
    oee: num(v.oee),
    cuts: num(v.cuts),
    areaCm2: num(v.areaCm2),
    areaPerHourCm2: num(v.areaPerHourCm2),
  };
}

export function energyRow(r: SeriesRow): EnergyRow {
  const v = r.values;
  const byState: Record<string, number> = {};
  for (const [k, x] of Object.entries(v))
    if (k.startsWith('kwh_') && typeof x === 'number') byState[k.slice(4)] = x;
  return {
    ts: r.ts,
    period: (r.tags.period ?? 'day') as EnergyRow['period'],
    ...(r.tags.shift ? { shift: r.tags.shift } : {}),
    ...who(r),
    totalKWh: num(v.totalKWh),
    cutKWh: num(v.cutKWh),
    nonCutKWh: num(v.nonCutKWh),
    cuttingKWh: num(v.cuttingKWh),
    byState,
    areaCm2: num(v.areaCm2),
    cuts: num(v.cuts),
    kWhPerCm2: num(v.kWhPerCm2),
    co2Kg: num(v.co2Kg),
    gridKgPerKWh: num(v.gridKgPerKWh),
  };
}

export function ledgerRow(r: SeriesRow): BladeLedgerRow {
  const e = ledgerFromRow(r);
  return {
    ts: e.ts,
    tenant: e.tenant,
    machine: e.machine,
    bladeId: e.bladeId,
    bladeType: e.bladeType,
    ...(e.catalogueId ? { catalogueId: e.catalogueId } : {}),
    supplier: e.supplier,
    mountedAt: e.mountedAt,
    ...(e.dismountedAt !== undefined ? { dismountedAt: e.dismountedAt } : {}),
    open: e.open,
    ...(e.reason ? { reason: e.reason } : {}),
    areaCm2: e.areaCm2,
    cuts: e.cuts,
    ...(e.reportedAreaCm2 !== undefined ? { reportedAreaCm2: e.reportedAreaCm2 } : {}),
    ...(e.materialClass ? { materialClass: e.materialClass } : {}),
  };
}

export function replacementRow(r: SeriesRow): ReplacementRow {
  const v = r.values;
  return {
    ts: r.ts,
    ...who(r),
    region: r.tags.region ?? '',
    n: Number(r.tags.nth ?? 1),
    ...(opt('bladeId', v.bladeId) as { bladeId?: string }),
    bladeType: r.tags.bladeType ?? 'unknown',
    ...(opt('catalogueId', v.catalogueId) as { catalogueId?: string }),
    supplier: r.tags.supplier ?? 'unknown',
    predictedAt: num(v.predictedAt),
    remainingCm2: num(v.remainingCm2),
    ...optNum('lowCm2', v.lowCm2),
    ...optNum('highCm2', v.highCm2),
    areaPerDayCm2: num(v.areaPerDayCm2),
    source: (str(v.source) ?? 'catalogue') as ReplacementRow['source'],
  };
}

export function wearPartRow(r: SeriesRow): WearPartRow {
  const v = r.values;
  return {
    ts: r.ts,
    ...who(r),
    part: r.tags.part ?? '',
    runningHours: num(v.runningHours),
    consumed: num(v.consumed),
    fromHours: num(v.fromHours),
    fromWarnings: num(v.fromWarnings),
    ...optNum('nextDueAt', v.nextDueAt),
  };
}

export function ruleVersionRow(r: SeriesRow): RuleVersionRow {
  const v = r.values;
  return {
    ts: r.ts,
    rule: r.tags.rule ?? '',
    version: Number(r.tags.version ?? 1),
    kind: str(v.kind) ?? '',
    symptom: str(v.symptom) ?? '',
    enabled: bool(v.enabled),
    description: str(v.description) ?? '',
    params: str(v.params) ?? '{}',
  };
}

export function baselineRow(r: SeriesRow): BaselineRow {
  return {
    ts: r.ts,
    ...who(r),
    key: r.tags.key ?? '',
    value: num(r.values.value),
    unit: str(r.values.unit) ?? '',
    ...optNum('n', r.values.n),
  };
}

export function lifeModelRow(r: SeriesRow): LifeModelRow {
  const v = r.values;
  return {
    ts: r.ts,
    ...who(r),
    bladeId: str(v.bladeId) ?? '',
    knownFromNew: bool(v.knownFromNew),
    cuts: num(v.cuts),
    areaCm2: num(v.areaCm2),
    ...optNum('used', v.used),
    endOfLife: num(v.endOfLife),
    ...optNum('expectedLifeCm2', v.expectedLifeCm2),
    ...optNum('remainingCm2', v.remainingCm2),
    ...optNum('lowCm2', v.lowCm2),
    ...optNum('highCm2', v.highCm2),
    steps: num(v.steps),
  };
}

export function warningEventRow(r: SeriesRow): WarningEventRow {
  const v = r.values;
  return {
    ts: r.ts,
    ...who(r),
    warningId: str(v.warningId) ?? '',
    type: r.tags.type ?? '',
    action: r.tags.action ?? '',
    rule: str(v.rule) ?? '',
    state: str(v.state) ?? '',
    severity: str(v.severity) ?? '',
    ...(opt('by', v.by) as { by?: string }),
  };
}

export function feedbackRow(r: SeriesRow): FeedbackRow {
  const v = r.values;
  return {
    ts: r.ts,
    ...who(r),
    warningId: str(v.warningId) ?? '',
    type: r.tags.type ?? '',
    verdict: r.tags.verdict ?? '',
    rule: str(v.rule) ?? '',
    ...(opt('cause', v.cause) as { cause?: string }),
    by: str(v.by) ?? '',
  };
}

export function precisionRow(r: SeriesRow): RulePrecisionRow {
  const v = r.values;
  return {
    ts: r.ts,
    rule: r.tags.rule ?? '',
    warnings: num(v.warnings),
    judged: num(v.judged),
    confirmed: num(v.confirmed),
    falseAlarms: num(v.falseAlarms),
    precision: typeof v.precision === 'number' ? v.precision : null,
  };
}

export function recommendationRow(r: SeriesRow): RecommendationRow {
  const v = r.values;
  const n = (x: FieldValue | null | undefined) => (typeof x === 'number' ? x : null);
  return {
    ts: r.ts,
    ...who(r),
    materialClass: r.tags.materialClass ?? '',
    sizeBin: r.tags.sizeBin ?? '',
    speedMMin: num(v.speedMMin),
    rateCm2Min: num(v.rateCm2Min),
    tpi: str(v.tpi) ?? '',
    source: 'chart',
    cuts: num(v.cuts),
    followed: num(v.followed),
    followedRateCm2Min: n(v.followedRateCm2Min),
    otherRateCm2Min: n(v.otherRateCm2Min),
    followedKWhPerCm2: n(v.followedKWhPerCm2),
    otherKWhPerCm2: n(v.otherKWhPerCm2),
  };
}
