import { z } from 'zod';
import { MachineState } from '../contracts/messages.js';

/**
 * The rows the four databases return through the read interface (read-api.ts). One zod schema
 * per row kind; the TypeScript types derive from them, and the HTTP API can use the same schemas
 * for its response validation and OpenAPI document. Units are in the field descriptions and in
 * docs/databases.md.
 */

const ms = z.number().int().describe('epoch ms, UTC');
const kwh = z.number().describe('kWh');
const seconds = z.number().min(0).describe('s');
const cm2 = z.number().describe('cm²');
const ratio = z.number().describe('0..1 (may exceed 1 for performance)');

// ------------------------------------------------------------------------------ operations

export const CutRow = z.object({
  ts: ms.describe('cut start'),
  tenant: z.string(),
  machine: z.string(),
  cutId: z.string(),
  end: ms,
  durationS: seconds,
  completed: z.boolean(),
  materialGrade: z.string(),
  materialClass: z.string(),
  sectionShape: z.string(),
  sizeMm: z.number().describe('diameter (round, tube) or width, mm'),
  areaCm2: cm2,
  cuttingRateCm2Min: z.number().describe('cm²/min'),
  bladeId: z.string(),
  energyKWh: kwh.describe('device-reported ∫P dt over the cut, kWh'),
  cuttingEnergyKWh: kwh.describe('∫(P − P_idle) dt, kWh'),
  telemetryEnergyKWh: kwh.describe('∫P dt recomputed from the stored telemetry over [start, end), kWh'),
  kWhPerCm2: z.number().describe('energyKWh / areaCm2, kWh/cm²'),
  co2Kg: z.number().describe('energyKWh × grid factor, kg CO₂'),
  idealS: seconds.describe('cut time at the cutting-chart rate, s (for OEE performance)'),
  shift: z.string().describe('plant-local shift: night (00–08), day (08–16), evening (16–24)'),
});
export type CutRow = z.infer<typeof CutRow>;

export const StateSpanRow = z.object({
  ts: ms.describe('span start'),
  tenant: z.string(),
  machine: z.string(),
  state: MachineState,
  end: ms.describe('span end (exclusive); for the open span the time of the last rollup'),
  durationS: seconds,
  reason: z.string().optional(),
  open: z.boolean().describe('true for the current, still open span'),
});
export type StateSpanRow = z.infer<typeof StateSpanRow>;

export const Period = z.enum(['hour', 'shift', 'day']);
export type Period = z.infer<typeof Period>;

/** Time categories of utilisation; they partition wall time. */
export const TIME_CATEGORIES = [
  'cuttingS',
  'runningS',
  'idleS',
  'offShiftS',
  'setupS',
  'bladeChangeS',
  'alarmS',
  'offlineS',
] as const;
export type TimeCategory = (typeof TIME_CATEGORIES)[number];

export const UtilisationRow = z.object({
  ts: ms.describe('period start'),
  period: Period,
  tenant: z.string(),
  machine: z.string(),
  wallS: seconds.describe('wall time of the period the machine existed in (= sum of the categories)'),
  cuttingS: seconds.describe('inside a cut window'),
  runningS: seconds.describe('state running, not cutting (approach, retract)'),
  idleS: seconds.describe('idle within the shift (waiting for material, operator)'),
  offShiftS: seconds.describe('idle because of the shift calendar (breaks, off-shift)'),
  setupS: seconds,
  bladeChangeS: seconds,
  alarmS: seconds,
  offlineS: seconds.describe(
    'offline: last will, offline state, or no data for longer than the silence limit',
  ),
  availability: ratio.describe('(cutting + running) / (wall − off-shift)'),
  performance: ratio.describe('Σ ideal cut time at chart rate / cutting time'),
  quality: ratio.describe('completed cuts / cuts'),
  oee: ratio,
  cuts: z.number().int().min(0),
  areaCm2: cm2,
  areaPerHourCm2: z.number().describe('cm² per operating hour (cutting + running)'),
});
export type UtilisationRow = z.infer<typeof UtilisationRow>;

export const EnergyRow = z.object({
  ts: ms.describe('period start'),
  period: Period,
  shift: z.string().optional().describe('shift name for period = shift'),
  tenant: z.string(),
  machine: z.string(),
  totalKWh: kwh.describe('∫P dt of the main drive over the period (1-minute rollups of telemetry)'),
  cutKWh: kwh.describe('Σ energy of the cuts that started in the period'),
  nonCutKWh: kwh.describe('totalKWh − energy inside cut windows of the period'),
  cuttingKWh: kwh.describe('Σ cutting share ∫(P − P_idle) dt of the cuts'),
  byState: z.record(z.string(), z.number()).describe('kWh by machine state'),
  areaCm2: cm2,
  cuts: z.number().int().min(0),
  kWhPerCm2: z.number().describe('cutKWh / areaCm2'),
  co2Kg: z.number().describe('totalKWh × gridKgPerKWh'),
  gridKgPerKWh: z.number().describe('kg CO₂ per kWh used'),
});
export type EnergyRow = z.infer<typeof EnergyRow>;

export const TelemetryRow = z.object({
  ts: ms,
  tenant: z.string(),
  machine: z.string(),
  values: z.record(z.string(), z.number().nullable()).describe('variable → value (raw) or mean (1 m)'),
});
export type TelemetryRow = z.infer<typeof TelemetryRow>;

// ------------------------------------------------------------------------------ supply chain

export const BladeLedgerRow = z.object({
  ts: ms.describe('mount time (or first seen)'),
  tenant: z.string(),
  machine: z.string(),
  bladeId: z.string(),
  bladeType: z.string(),
  catalogueId: z.string().optional(),
  supplier: z.string(),
  mountedAt: ms,
  dismountedAt: ms.optional(),
  open: z.boolean().describe('still on the wheels'),
  reason: z.string().optional().describe('dismount reason'),
  areaCm2: cm2.describe('Σ area of the cut records made with this blade'),
  cuts: z.number().int().min(0),
  reportedAreaCm2: cm2.optional().describe('area the controller reported on dismount'),
  materialClass: z.string().optional().describe('machinability class that took most of the area'),
});
export type BladeLedgerRow = z.infer<typeof BladeLedgerRow>;

export const BladeLifeRow = z.object({
  ts: ms.describe('time of the rollup'),
  bladeType: z.string(),
  materialClass: z.string(),
  n: z.number().int().min(0).describe('worn or broken blades in the sample'),
  machines: z.number().int().min(0),
  meanCm2: cm2,
  p10Cm2: cm2,
  p50Cm2: cm2,
  p90Cm2: cm2,
  stdCm2: cm2,
});
export type BladeLifeRow = z.infer<typeof BladeLifeRow>;

export const ReplacementRow = z.object({
  ts: ms.describe('time of the forecast'),
  tenant: z.string(),
  machine: z.string(),
  region: z.string(),
  n: z.number().int().min(1).describe('1 = the mounted blade, 2 = the one after, …'),
  bladeId: z.string().optional().describe('the mounted blade (n = 1)'),
  bladeType: z.string(),
  catalogueId: z.string().optional(),
  supplier: z.string(),
  predictedAt: ms.describe('predicted replacement time'),
  remainingCm2: cm2.describe('area left before the replacement'),
  lowCm2: cm2.optional(),
  highCm2: cm2.optional(),
  areaPerDayCm2: z.number().describe('recent cutting rate of the machine, cm²/day'),
  source: z.enum(['remaining-life-model', 'life-distribution', 'catalogue']),
});
export type ReplacementRow = z.infer<typeof ReplacementRow>;

export const DemandRow = z.object({
  ts: ms.describe('week start (Monday 00:00 UTC)'),
  region: z.string(),
  bladeType: z.string(),
  supplier: z.string(),
  blades: z.number().int().min(0).describe('predicted replacements in the week'),
  machines: z.number().int().min(0),
  valueCny: z.number().describe('blades × loop length × catalogue price per metre, CNY'),
  forecastAt: ms,
});
export type DemandRow = z.infer<typeof DemandRow>;

export const WearPartRow = z.object({
  ts: ms.describe('time of the rollup'),
  tenant: z.string(),
  machine: z.string(),
  part: z.string(),
  runningHours: z.number().describe('h the relevant clock ran (cutting or powered hours)'),
  consumed: z.number().describe('units consumed: service-life share + warning-driven replacements'),
  fromHours: z.number(),
  fromWarnings: z.number().int().min(0),
  nextDueAt: ms.optional(),
});
export type WearPartRow = z.infer<typeof WearPartRow>;

// ------------------------------------------------------------------------------ market

export const MarketDimension = z.enum(['region', 'industry', 'model', 'manufacturer']);
export type MarketDimension = z.infer<typeof MarketDimension>;

/** A bucket's key: the requested dimensions; anonymised rows may say "other" (merged buckets). */
export const BucketKey = z.object({
  region: z.string().optional(),
  industry: z.string().optional(),
  model: z.string().optional().describe('model id; in anonymised rows the saw type instead'),
  manufacturer: z.string().optional(),
});

export const InstalledBaseRow = BucketKey.extend({
  ts: ms.describe('snapshot day'),
  installed: z.number().int().min(0),
  active: z.number().int().min(0).describe('machines with data on that day'),
});
export type InstalledBaseRow = z.infer<typeof InstalledBaseRow>;

export const UtilisationTrendRow = BucketKey.extend({
  ts: ms.describe('day'),
  machines: z.number().int().min(0),
  utilisation: ratio.describe('(cutting + running) / wall'),
  cuttingShare: ratio.describe('cutting / wall'),
  cuts: z.number().int().min(0),
  areaCm2: cm2,
  energyKWh: kwh,
});
export type UtilisationTrendRow = z.infer<typeof UtilisationTrendRow>;

export const MaterialMixRow = z.object({
  ts: ms.describe('day'),
  region: z.string().optional(),
  industry: z.string().optional(),
  materialClass: z.string(),
  sectionShape: z.string(),
  sizeBin: z.string().describe('≤25, 25-75, 75-150, >150 mm'),
  machines: z.number().int().min(0),
  cuts: z.number().int().min(0),
  areaCm2: cm2,
});
export type MaterialMixRow = z.infer<typeof MaterialMixRow>;

// ------------------------------------------------------------------------------ algorithms

export const RuleVersionRow = z.object({
  ts: ms.describe('when this version came into force'),
  rule: z.string(),
  version: z.number().int().min(1),
  kind: z.string(),
  symptom: z.string(),
  enabled: z.boolean(),
  description: z.string(),
  params: z.string().describe('JSON of the parameters (with per-model overrides)'),
});
export type RuleVersionRow = z.infer<typeof RuleVersionRow>;

export const BaselineRow = z.object({
  ts: ms,
  tenant: z.string(),
  machine: z.string(),
  key: z.string().describe('what the baseline is of, e.g. idle-power, eA:<material×section>'),
  value: z.number(),
  unit: z.string(),
  n: z.number().int().min(0).optional().describe('observations behind it, where known'),
});
export type BaselineRow = z.infer<typeof BaselineRow>;

export const LifeModelRow = z.object({
  ts: ms,
  tenant: z.string(),
  machine: z.string(),
  bladeId: z.string(),
  knownFromNew: z.boolean(),
  cuts: z.number().int().min(0),
  areaCm2: cm2,
  used: z.number().optional().describe('consumed share of life, 0..1+'),
  endOfLife: z.number().describe('ln rise of e_A at which a blade counts as worn'),
  expectedLifeCm2: cm2.optional(),
  remainingCm2: cm2.optional().describe('remaining life in cm² of the reference material (1045)'),
  lowCm2: cm2.optional(),
  highCm2: cm2.optional(),
  steps: z.number().int().min(0).describe('chipping steps seen'),
});
export type LifeModelRow = z.infer<typeof LifeModelRow>;

export const WarningEventRow = z.object({
  ts: ms,
  tenant: z.string(),
  machine: z.string(),
  warningId: z.string(),
  type: z.string(),
  action: z.string(),
  rule: z.string(),
  state: z.string(),
  severity: z.string(),
  by: z.string().optional(),
});
export type WarningEventRow = z.infer<typeof WarningEventRow>;

export const FeedbackRow = z.object({
  ts: ms,
  tenant: z.string(),
  machine: z.string(),
  warningId: z.string(),
  type: z.string(),
  verdict: z.string(),
  rule: z.string(),
  cause: z.string().optional(),
  by: z.string(),
});
export type FeedbackRow = z.infer<typeof FeedbackRow>;

export const RulePrecisionRow = z.object({
  ts: ms.describe('time of the rollup'),
  rule: z.string().describe('id@version'),
  warnings: z.number().int().min(0),
  judged: z.number().int().min(0),
  confirmed: z.number().int().min(0),
  falseAlarms: z.number().int().min(0),
  precision: z.number().nullable().describe('confirmed / judged; null until judged'),
});
export type RulePrecisionRow = z.infer<typeof RulePrecisionRow>;

export const RecommendationRow = z.object({
  ts: ms.describe('time of the rollup'),
  tenant: z.string(),
  machine: z.string(),
  materialClass: z.string(),
  sizeBin: z.string(),
  speedMMin: z.number().describe('recommended blade speed, m/min'),
  rateCm2Min: z.number().describe('recommended cutting rate, cm²/min'),
  tpi: z.string(),
  source: z.enum(['chart']).describe('cutting charts of seeds/ (DOMAIN §3)'),
  cuts: z.number().int().min(0).describe('cuts in this class since the recommendation'),
  followed: z.number().int().min(0).describe('cuts within ±15 % of the recommended speed'),
  followedRateCm2Min: z.number().nullable().describe('mean cutting rate of the followed cuts'),
  otherRateCm2Min: z.number().nullable().describe('mean cutting rate of the other cuts'),
  followedKWhPerCm2: z.number().nullable(),
  otherKWhPerCm2: z.number().nullable(),
});
export type RecommendationRow = z.infer<typeof RecommendationRow>;
