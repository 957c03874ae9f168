import { z } from 'zod';
import { MachineId, TenantId } from '../contracts/ids.js';
import { BladeType, SectionShape } from '../contracts/messages.js';

/**
 * Schemas of the reference data in `seeds/`. Every file has the same envelope
 * `{ version: 1, description, units, items }` (some add a sibling table, e.g. the chart
 * corrections or the fleet's tenants and plants). Types derive from these schemas only.
 */

const id = z.string().regex(/^[a-z0-9][a-z0-9.-]{0,63}$/, 'id: lower-case slug (a-z, 0-9, ".", "-")');
const positive = z.number().positive();

/** `[lo, hi]` with lo ≤ hi; `inner` constrains both ends. */
function range(inner: z.ZodNumber = z.number()) {
  return z
    .tuple([inner, inner])
    .refine(([lo, hi]) => lo <= hi, { message: 'range must be [lo, hi] with lo ≤ hi' });
}

function envelope<T extends z.ZodType>(item: T) {
  return {
    version: z.literal(1),
    description: z.string().min(1),
    units: z.record(z.string(), z.string()),
    items: z.array(item).min(1),
  };
}

// ------------------------------------------------------------------------------------ models

/** DOMAIN §1: blade tension 103–241 N/mm² overall. */
export const TENSION_LIMITS_NMM2 = [103, 241] as const;

export const SawModel = z.strictObject({
  id,
  maker: z.string().min(1),
  tenant: TenantId.describe('Tenant slug of the maker'),
  name: z.string().min(1),
  type: z.enum(['horizontal', 'vertical', 'double-column']),
  maxRoundMm: positive.max(3000),
  maxRectMm: z.tuple([positive.max(3000), positive.max(3000)]),
  motorKw: positive.max(200),
  idlePowerKw: positive,
  bladeDims: z.strictObject({
    widthMm: positive.max(100),
    thicknessMm: positive.max(5),
    lengthMm: positive.max(30_000),
  }),
  bladeSpeedRange: range(positive.max(400)),
  tensionRange: range(z.number().min(TENSION_LIMITS_NMM2[0]).max(TENSION_LIMITS_NMM2[1])),
  hydraulicRange: range(positive.max(40)),
  ratedCurrentA: positive.max(2000),
  voltageV: positive.max(1000),
  motorEfficiency: z.number().min(0.5).max(1),
  maxFeedForceN: positive.max(100_000),
  maxDownFeedMmMin: positive.max(1000),
  coolantFlowLMin: positive.max(500),
  illustrative: z.boolean(),
});
export type SawModel = z.infer<typeof SawModel>;
export const ModelsFile = z.strictObject(envelope(SawModel));

// ----------------------------------------------------------------------------- cutting charts

export const ChartBin = z.strictObject({
  upToMm: positive.nullable().describe('upper bound of the size bin (inclusive); null = open'),
  speedMMin: range(positive),
  rateCm2Min: range(positive).optional(),
  tpi: z.array(z.string().min(1)).optional(),
  original: z.strictObject({ sfpm: positive, in2PerMin: range(positive) }).optional(),
});
export type ChartBin = z.infer<typeof ChartBin>;

export const Source = z.enum(['chart', 'point', 'estimate']);

export const ChartClass = z.strictObject({
  id,
  name: z.string().min(1),
  chart: z.string().min(1),
  source: Source,
  grades: z.string().min(1),
  blade: z.enum(['bimetal', 'carbon', 'carbide']),
  refSizeMm: positive.optional(),
  bins: z
    .array(ChartBin)
    .min(1)
    .refine((bins) => bins.every((b, i) => (i === bins.length - 1 ? b.upToMm === null : b.upToMm !== null)), {
      message: 'only the last size bin is open (upToMm null)',
    })
    .refine((bins) => bins.every((b, i) => i === 0 || (b.upToMm ?? Infinity) > (bins[i - 1]!.upToMm ?? 0)), {
      message: 'size bins must be in increasing order',
    }),
});
export type ChartClass = z.infer<typeof ChartClass>;

const factorPoints = z.strictObject({
  source: z.string().min(1),
  points: z
    .array(z.strictObject({ sizeMm: positive, factor: positive.max(3) }))
    .min(2)
    .refine((p) => p.every((x, i) => i === 0 || x.sizeMm > p[i - 1]!.sizeMm), 'points by increasing size'),
});

export const ChartCorrections = z.strictObject({
  sectionSpeed: factorPoints,
  sectionRate: factorPoints,
  dryCutting: range(positive.max(1)),
  carbonBlade: positive.max(1),
  hardness35Hrc: positive.max(1),
  finePitchFeed: positive.max(1),
  breakIn: z.strictObject({
    areaCm2: range(positive),
    typicalAreaCm2: positive,
    feedFactorMild: positive.max(1),
    feedFactorDifficult: positive.max(1),
  }),
  tpiBySize: z.array(z.strictObject({ upToMm: positive.nullable(), tpi: z.array(z.string()).min(1) })).min(1),
});
export type ChartCorrections = z.infer<typeof ChartCorrections>;

export const CuttingChartsFile = z.strictObject({
  ...envelope(ChartClass),
  corrections: ChartCorrections,
});

// ---------------------------------------------------------------------------------- materials

export const MaterialFamily = z.enum([
  'carbon-steel',
  'structural-steel',
  'alloy-steel',
  'stainless',
  'tool-steel',
  'aluminium',
  'nickel-alloy',
  'titanium',
]);

export const Material = z.strictObject({
  grade: z.string().min(1).max(64),
  name: z.string().min(1),
  family: MaterialFamily,
  hardness: z
    .strictObject({ hb: positive.max(800).optional(), hrc: positive.max(72).optional() })
    .refine((h) => h.hb !== undefined || h.hrc !== undefined, 'hardness needs hb or hrc'),
  classId: id.describe('machinability class = cutting-charts.json item id'),
  refSizeMm: positive,
  speedMMin: range(positive.max(400)),
  rateCm2Min: range(positive.max(10_000)),
  specificEnergyJmm3: range(positive.max(50)),
  breakIn: z.enum(['mild', 'difficult']),
  lifeFactor: positive.max(20),
  source: Source,
  notes: z.string().optional(),
});
export type Material = z.infer<typeof Material>;
export const MaterialsFile = z.strictObject(envelope(Material));

// ------------------------------------------------------------------------------------- blades

export const Blade = z.strictObject({
  id,
  name: z.string().min(1),
  type: BladeType,
  widthMm: positive.max(100),
  thicknessMm: positive.max(5),
  kerfMm: positive.max(6),
  tpi: z.string().regex(/^\d+(\.\d+)?(\/\d+(\.\d+)?)?$/, 'tpi like "3/4" or "6"'),
  lifeClass: z.enum(['standard', 'long', 'premium']),
  nominalLifeCm2: positive,
  priceCnyPerM: positive,
  supplier: z.string().min(1).max(64),
});
export type Blade = z.infer<typeof Blade>;
export const BladesFile = z.strictObject(envelope(Blade));

// ------------------------------------------------------------------------------------ regions

export const Region = z.strictObject({
  id,
  name: z.string().min(1),
  country: z.string().regex(/^[A-Z]{2}$/, 'ISO 3166 alpha-2'),
  utcOffsetMinutes: z
    .number()
    .int()
    .min(-12 * 60)
    .max(14 * 60),
  ambientC: range(z.number().min(-40).max(60)),
  grid: z.strictObject({ voltageV: positive, frequencyHz: z.union([z.literal(50), z.literal(60)]) }),
  electricityPrice: z.strictObject({ perKWh: positive, currency: z.string().regex(/^[A-Z]{3}$/) }),
});
export type Region = z.infer<typeof Region>;
export const RegionsFile = z.strictObject(envelope(Region));

// --------------------------------------------------------------------------------- industries

export const SectionMix = z.strictObject({
  shape: SectionShape,
  sizeMm: range(positive.max(3000)),
  weight: positive,
  wallMm: range(positive.max(500)).optional(),
  pieces: range(z.number().int().positive().max(1000)).optional(),
});
export type SectionMix = z.infer<typeof SectionMix>;

export const ShiftPattern = z.enum(['1x8', '2x8', '3x8']);
export type ShiftPattern = z.infer<typeof ShiftPattern>;

export const Industry = z.strictObject({
  id,
  name: z.string().min(1),
  shifts: ShiftPattern,
  batchPieces: range(z.number().int().positive()),
  materials: z.array(z.strictObject({ grade: z.string().min(1), weight: positive })).min(1),
  sections: z
    .array(SectionMix)
    .min(1)
    .refine(
      (s) => s.every((x) => !['tube', 'rect-tube', 'profile'].includes(x.shape) || x.wallMm !== undefined),
      'tube, rect-tube and profile sections need wallMm',
    )
    .refine((s) => s.every((x) => x.shape !== 'bundle' || x.pieces !== undefined), 'bundles need pieces'),
});
export type Industry = z.infer<typeof Industry>;
export const IndustriesFile = z.strictObject(envelope(Industry));

// --------------------------------------------------------------------------------- demo fleet

export const Tenant = z.strictObject({
  slug: TenantId,
  name: z.string().min(1),
  country: z.string().regex(/^[A-Z]{2}$/),
  region: id,
});
export type Tenant = z.infer<typeof Tenant>;

export const Plant = z.strictObject({
  id,
  name: z.string().min(1),
  region: id,
  industry: id,
  sites: z.array(z.string().min(1)).min(1),
});
export type Plant = z.infer<typeof Plant>;

export const FleetMachineSeed = z.strictObject({
  machineId: MachineId,
  tenant: TenantId,
  plant: id,
  site: z.string().min(1),
  region: id,
  industry: id,
  model: id,
  serial: z.string().min(1).max(64),
});
export type FleetMachineSeed = z.infer<typeof FleetMachineSeed>;

export const DemoFleetFile = z.strictObject({
  ...envelope(FleetMachineSeed),
  tenants: z.array(Tenant).min(1),
  plants: z.array(Plant).min(1),
});

// --------------------------------------------------------------------------------- wear parts

/** A wear part besides the blade (supply-chain database: consumption from hours and warnings). */
export const WearPart = z.strictObject({
  id,
  name: z.string().min(1),
  clock: z.enum(['cutting', 'powered']).describe('hours that wear it: inside cuts, or machine on'),
  serviceLifeH: positive.max(200_000),
  warningTypes: z.array(id).describe('warning types (fault-dictionary ids) that mean it was replaced'),
  unitPriceCny: positive,
});
export type WearPart = z.infer<typeof WearPart>;
export const WearPartsFile = z.strictObject(envelope(WearPart));

// --------------------------------------------------------------------- analysis: rules, faults

/** Symptom ids link rules (what is observed) to the fault dictionary (what it may mean). */
export const SymptomId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'symptom id: lower-case slug (a-z, 0-9, "-")');

/**
 * One rule of the condition monitoring (seeds/rules.json). `kind` names the rule implementation
 * (services/analysis/rules); `params` are checked by that implementation's own schema, `models`
 * overrides them per saw model. Each edit at run time makes a new `version`.
 */
export const RuleSeed = z.strictObject({
  id,
  version: z.number().int().min(1),
  kind: id,
  symptom: SymptomId.describe('the symptom this rule reports (fault-dictionary.json symptoms)'),
  enabled: z.boolean().default(true),
  description: z.string().min(1),
  params: z.record(z.string(), z.unknown()).default({}),
  models: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
});
export type RuleSeed = z.infer<typeof RuleSeed>;
export const RulesFile = z.strictObject(envelope(RuleSeed));

export const SignatureEntry = z.strictObject({
  symptom: SymptomId,
  p: z.number().min(0).max(1).describe('P(symptom observed | this cause)'),
  absent: z
    .number()
    .min(0)
    .max(1)
    .optional()
    .describe('likelihood when the symptom is absent (default 1 − p, at least 0.05); 1 = no information'),
});

export const FaultCause = z.strictObject({
  id: SymptomId.describe('failure mode id; also the warning type'),
  title: z.string().min(1).max(200),
  category: z
    .enum(['fault', 'notice', 'data'])
    .describe('DOMAIN failure mode, maintenance notice, data/sensor'),
  severity: z.enum(['info', 'warning', 'critical']),
  prior: z.number().positive().max(1),
  action: z.string().min(1).max(500),
  source: z.string().min(1).describe('where the signature comes from (DOMAIN §2, …)'),
  signature: z.array(SignatureEntry).min(1),
  suppressIn: z
    .array(z.enum(['setup', 'blade-change', 'idle', 'offline']))
    .default([])
    .describe('machine states in which a new warning of this type is suppressed'),
});
export type FaultCause = z.infer<typeof FaultCause>;

export const FaultDictionaryFile = z.strictObject({
  ...envelope(FaultCause),
  settings: z.strictObject({
    minProbability: z.number().min(0).max(1).describe('top cause needs at least this posterior'),
    leak: z.number().min(0).max(0.5).describe('P(symptom | cause) for symptoms outside the signature'),
    explainedAt: z.number().min(0).max(1).describe('a symptom with p ≥ this is explained by the cause'),
    maxCauses: z.number().int().min(1).max(10),
    noFaultPrior: z.number().positive().describe('prior of "no fault": the symptoms are false alarms'),
  }),
  symptoms: z
    .array(
      z.strictObject({
        id: SymptomId,
        description: z.string().min(1),
        event: z.boolean().default(false),
        falseRate: z
          .number()
          .min(0)
          .max(1)
          .describe("P(symptom | no fault): the detector's false-alarm rate"),
      }),
    )
    .min(1),
});
export type FaultDictionaryFile = z.infer<typeof FaultDictionaryFile>;

/** File name → schema: the loader's table of contents. */
export const SEED_FILES = {
  models: { file: 'models.json', schema: ModelsFile },
  materials: { file: 'materials.json', schema: MaterialsFile },
  blades: { file: 'blades.json', schema: BladesFile },
  cuttingCharts: { file: 'cutting-charts.json', schema: CuttingChartsFile },
  regions: { file: 'regions.json', schema: RegionsFile },
  industries: { file: 'industries.json', schema: IndustriesFile },
  demoFleet: { file: 'demo-fleet.json', schema: DemoFleetFile },
  rules: { file: 'rules.json', schema: RulesFile },
  faultDictionary: { file: 'fault-dictionary.json', schema: FaultDictionaryFile },
  wearParts: { file: 'wear-parts.json', schema: WearPartsFile },
} as const;

export type SeedKey = keyof typeof SEED_FILES;
export type SeedFiles = { [K in SeedKey]: z.infer<(typeof SEED_FILES)[K]['schema']> };
