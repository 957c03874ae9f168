import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatIssues } from '../contracts/validate.js';
import { SawBrainError } from '../core/errors.js';
import {
  type Blade,
  type ChartClass,
  type ChartCorrections,
  type FaultCause,
  type FaultDictionaryFile,
  type FleetMachineSeed,
  type Industry,
  type Material,
  type Plant,
  type Region,
  type RuleSeed,
  type SawModel,
  SEED_FILES,
  type SeedFiles,
  type SeedKey,
  type Tenant,
  type WearPart,
} from './schemas.js';

export * from './schemas.js';

/** The reference data, validated, cross-checked and frozen, with lookup maps. */
export interface Seeds {
  readonly models: readonly SawModel[];
  readonly materials: readonly Material[];
  readonly blades: readonly Blade[];
  readonly chartClasses: readonly ChartClass[];
  readonly corrections: ChartCorrections;
  readonly regions: readonly Region[];
  readonly industries: readonly Industry[];
  readonly tenants: readonly Tenant[];
  readonly plants: readonly Plant[];
  readonly machines: readonly FleetMachineSeed[];
  /** Condition-monitoring rules with their default parameters (services/analysis). */
  readonly rules: readonly RuleSeed[];
  /** Failure modes, their symptom signatures and actions (services/analysis/diagnosis). */
  readonly faultDictionary: FaultDictionaryFile;
  /** Wear parts besides the blade (services/databases supply chain). */
  readonly wearParts: readonly WearPart[];
  /** The files as parsed (after validation). */
  readonly files: Readonly<SeedFiles>;
  readonly lookup: {
    readonly model: ReadonlyMap<string, SawModel>;
    /** by grade */
    readonly material: ReadonlyMap<string, Material>;
    readonly blade: ReadonlyMap<string, Blade>;
    readonly chartClass: ReadonlyMap<string, ChartClass>;
    readonly region: ReadonlyMap<string, Region>;
    readonly industry: ReadonlyMap<string, Industry>;
    /** by slug */
    readonly tenant: ReadonlyMap<string, Tenant>;
    readonly plant: ReadonlyMap<string, Plant>;
    /** by machineId */
    readonly machine: ReadonlyMap<string, FleetMachineSeed>;
    /** by failure mode id */
    readonly fault: ReadonlyMap<string, FaultCause>;
  };
}

const KEYS = Object.keys(SEED_FILES) as SeedKey[];

/** Reads and validates every file of `dir`; throws CONFIG_INVALID listing every problem found. */
export function loadSeeds(dir = 'seeds'): Seeds {
  const raw: Partial<Record<SeedKey, unknown>> = {};
  const problems: string[] = [];
  for (const key of KEYS) {
    const file = SEED_FILES[key].file;
    let text: string;
    try {
      text = readFileSync(join(dir, file), 'utf8');
    } catch (err) {
      problems.push(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
      continue;
    }
    try {
      raw[key] = JSON.parse(text) as unknown;
    } catch (err) {
      problems.push(`${file}: not JSON (${(err as Error).message})`);
    }
  }
  return parseSeeds(raw, problems, dir);
}

/** Validates already parsed files (the loader without I/O); `problems` are earlier findings. */
export function parseSeeds(
  raw: Partial<Record<SeedKey, unknown>>,
  problems: string[] = [],
  where = 'seeds',
): Seeds {
  const parsed: Partial<SeedFiles> = {};
  for (const key of KEYS) {
    if (!(key in raw)) {
      if (!problems.some((p) => p.startsWith(SEED_FILES[key].file))) {
        problems.push(`${SEED_FILES[key].file}: missing`);
      }
      continue;
    }
    const result = SEED_FILES[key].schema.safeParse(raw[key]);
    if (result.success) (parsed as Record<string, unknown>)[key] = result.data;
    else problems.push(`${SEED_FILES[key].file}: ${formatIssues(result.error.issues, 50)}`);
  }
  if (KEYS.every((k) => parsed[k] !== undefined)) problems.push(...crossCheck(parsed as SeedFiles));
  if (problems.length > 0) {
    throw new SawBrainError(
      'CONFIG_INVALID',
      `${where}: ${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`,
    );
  }
  return build(parsed as SeedFiles);
}

function indexBy<T>(items: readonly T[], key: (t: T) => string, what: string, problems: string[]) {
  const map = new Map<string, T>();
  for (const item of items) {
    const k = key(item);
    if (map.has(k)) problems.push(`${what}: duplicate id "${k}"`);
    map.set(k, item);
  }
  return map;
}

/** Referential integrity and physical consistency across the files. */
export function crossCheck(f: SeedFiles): string[] {
  const p: string[] = [];
  const models = indexBy(f.models.items, (m) => m.id, 'models.json', p);
  const materials = indexBy(f.materials.items, (m) => m.grade, 'materials.json', p);
  indexBy(f.blades.items, (b) => b.id, 'blades.json', p);
  const classes = indexBy(f.cuttingCharts.items, (c) => c.id, 'cutting-charts.json', p);
  const regions = indexBy(f.regions.items, (r) => r.id, 'regions.json', p);
  const industries = indexBy(f.industries.items, (i) => i.id, 'industries.json', p);
  const tenants = indexBy(f.demoFleet.tenants, (t) => t.slug, 'demo-fleet.json tenants', p);
  const plants = indexBy(f.demoFleet.plants, (x) => x.id, 'demo-fleet.json plants', p);
  indexBy(f.demoFleet.items, (m) => m.machineId, 'demo-fleet.json machines', p);

  for (const m of f.models.items) {
    const at = `models.json ${m.id}`;
    if (!tenants.has(m.tenant)) p.push(`${at}: tenant "${m.tenant}" is not in demo-fleet.json tenants`);
    if (m.idlePowerKw >= m.motorKw) p.push(`${at}: idlePowerKw must be below motorKw`);
    // Active current at rated load must not exceed the rated current (power factor 0.6 .. 1).
    const activeA = (m.motorKw * 1000) / m.motorEfficiency / (Math.sqrt(3) * m.voltageV);
    const pf = activeA / m.ratedCurrentA;
    if (pf > 1 || pf < 0.6) {
      p.push(`${at}: ratedCurrentA ${m.ratedCurrentA} A gives power factor ${pf.toFixed(2)} (want 0.6–1)`);
    }
    const fits = f.blades.items.filter(
      (b) => b.widthMm === m.bladeDims.widthMm && b.thicknessMm === m.bladeDims.thicknessMm,
    );
    if (fits.length === 0) {
      p.push(`${at}: no blade in blades.json fits ${m.bladeDims.widthMm}×${m.bladeDims.thicknessMm} mm`);
    }
  }
  for (const m of f.materials.items) {
    if (!classes.has(m.classId)) {
      p.push(`materials.json ${m.grade}: classId "${m.classId}" is not in cutting-charts.json`);
    }
  }
  for (const i of f.industries.items) {
    for (const { grade } of i.materials) {
      if (!materials.has(grade)) p.push(`industries.json ${i.id}: grade "${grade}" is not in materials.json`);
    }
  }
  for (const t of f.demoFleet.tenants) {
    if (!regions.has(t.region)) p.push(`demo-fleet.json tenant ${t.slug}: unknown region "${t.region}"`);
  }
  for (const x of f.demoFleet.plants) {
    if (!regions.has(x.region)) p.push(`demo-fleet.json plant ${x.id}: unknown region "${x.region}"`);
    if (!industries.has(x.industry))
      p.push(`demo-fleet.json plant ${x.id}: unknown industry "${x.industry}"`);
  }
  for (const m of f.demoFleet.items) {
    const at = `demo-fleet.json ${m.machineId}`;
    const model = models.get(m.model);
    const plant = plants.get(m.plant);
    if (!tenants.has(m.tenant)) p.push(`${at}: unknown tenant "${m.tenant}"`);
    if (!model) p.push(`${at}: unknown model "${m.model}"`);
    else if (model.tenant !== m.tenant)
      p.push(`${at}: model ${m.model} is made by ${model.tenant}, not ${m.tenant}`);
    if (!regions.has(m.region)) p.push(`${at}: unknown region "${m.region}"`);
    if (!industries.has(m.industry)) p.push(`${at}: unknown industry "${m.industry}"`);
    if (!plant) p.push(`${at}: unknown plant "${m.plant}"`);
    else {
      if (plant.region !== m.region) p.push(`${at}: region ${m.region} differs from plant's ${plant.region}`);
      if (plant.industry !== m.industry) {
        p.push(`${at}: industry ${m.industry} differs from plant's ${plant.industry}`);
      }
      if (!plant.sites.includes(m.site)) p.push(`${at}: site "${m.site}" is not a site of ${plant.id}`);
    }
  }
  p.push(...crossCheckAnalysis(f));
  indexBy(f.wearParts.items, (w) => w.id, 'wear-parts.json', p);
  const faults = new Set(f.faultDictionary.items.map((c) => c.id));
  for (const w of f.wearParts.items) {
    for (const t of w.warningTypes) {
      if (!faults.has(t))
        p.push(`wear-parts.json ${w.id}: warning type "${t}" is not in fault-dictionary.json`);
    }
  }
  return p;
}

/** Rules ↔ fault dictionary: every symptom is declared once, reported by a rule, used by a cause. */
function crossCheckAnalysis(f: SeedFiles): string[] {
  const p: string[] = [];
  indexBy(f.rules.items, (r) => r.id, 'rules.json', p);
  indexBy(f.faultDictionary.items, (c) => c.id, 'fault-dictionary.json', p);
  const symptoms = indexBy(f.faultDictionary.symptoms, (s) => s.id, 'fault-dictionary.json symptoms', p);
  const reported = new Set(f.rules.items.map((r) => r.symptom));
  const used = new Set(f.faultDictionary.items.flatMap((c) => c.signature.map((e) => e.symptom)));
  for (const r of f.rules.items) {
    if (!symptoms.has(r.symptom))
      p.push(`rules.json ${r.id}: symptom "${r.symptom}" is not in fault-dictionary.json`);
    for (const model of Object.keys(r.models ?? {})) {
      if (!f.models.items.some((m) => m.id === model)) p.push(`rules.json ${r.id}: unknown model "${model}"`);
    }
  }
  for (const c of f.faultDictionary.items) {
    for (const e of c.signature) {
      if (!symptoms.has(e.symptom)) p.push(`fault-dictionary.json ${c.id}: unknown symptom "${e.symptom}"`);
    }
  }
  for (const s of f.faultDictionary.symptoms) {
    if (!reported.has(s.id))
      p.push(`fault-dictionary.json symptom ${s.id}: no rule in rules.json reports it`);
    if (!used.has(s.id)) p.push(`fault-dictionary.json symptom ${s.id}: no cause uses it`);
  }
  return p;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function build(f: SeedFiles): Seeds {
  deepFreeze(f);
  const ignore: string[] = [];
  return Object.freeze({
    models: f.models.items,
    materials: f.materials.items,
    blades: f.blades.items,
    chartClasses: f.cuttingCharts.items,
    corrections: f.cuttingCharts.corrections,
    regions: f.regions.items,
    industries: f.industries.items,
    tenants: f.demoFleet.tenants,
    plants: f.demoFleet.plants,
    machines: f.demoFleet.items,
    rules: f.rules.items,
    faultDictionary: f.faultDictionary,
    wearParts: f.wearParts.items,
    files: f,
    lookup: Object.freeze({
      model: indexBy(f.models.items, (m) => m.id, '', ignore),
      material: indexBy(f.materials.items, (m) => m.grade, '', ignore),
      blade: indexBy(f.blades.items, (b) => b.id, '', ignore),
      chartClass: indexBy(f.cuttingCharts.items, (c) => c.id, '', ignore),
      region: indexBy(f.regions.items, (r) => r.id, '', ignore),
      industry: indexBy(f.industries.items, (i) => i.id, '', ignore),
      tenant: indexBy(f.demoFleet.tenants, (t) => t.slug, '', ignore),
      plant: indexBy(f.demoFleet.plants, (x) => x.id, '', ignore),
      machine: indexBy(f.demoFleet.items, (m) => m.machineId, '', ignore),
      fault: indexBy(f.faultDictionary.items, (c) => c.id, '', ignore),
    }),
  });
}
