import type { Point, SeriesRow } from '../../core/ports.js';
import type { RuleSeed, Seeds } from '../../seeds/index.js';
import { optimumTpi } from '../../simulator/cutting.js';
import { correctionAt } from '../../simulator/index.js';
import { num, str } from '../store-read.js';
import { sizeBin } from '../time.js';

/** What AnalysisService.learnedState() returns (kept structural so tests can build one). */
export interface LearnedState {
  ruleVersions: { rule: RuleSeed; createdAt: number | null; author: string | null }[];
  machines: {
    tenant: string;
    machine: string;
    idlePowerKw: number | undefined;
    idleSamples: number;
    refs: Record<string, number>;
    endOfLife: number;
    expectedLifeCm2: number | undefined;
    blade:
      | {
          bladeId: string;
          knownFromNew: boolean;
          cuts: number;
          areaCm2: number;
          used?: number;
          steps: number;
          remaining?: { areaCm2: number; lowCm2: number; highCm2: number };
        }
      | undefined;
  }[];
}

/** Seed rule versions are in force since the seeds: they carry ts 0. */
export const SEED_VERSION_TS = 0;

export function ruleVersionPoints(versions: LearnedState['ruleVersions']): Point[] {
  return versions.map(({ rule, createdAt, author }) => ({
    db: 'algorithms',
    measurement: 'rule_version',
    tags: { rule: rule.id, version: String(rule.version) },
    fields: {
      kind: rule.kind,
      symptom: rule.symptom,
      enabled: rule.enabled,
      description: rule.description,
      params: JSON.stringify({ params: rule.params, ...(rule.models ? { models: rule.models } : {}) }),
      ...(author ? { author } : {}),
    },
    ts: createdAt ?? SEED_VERSION_TS,
  }));
}

/** Baselines and remaining-life model state per machine. */
export function modelPoints(state: LearnedState, now: number): Point[] {
  const out: Point[] = [];
  for (const m of state.machines) {
    const tags = { tenant: m.tenant, machine: m.machine };
    if (m.idlePowerKw !== undefined) {
      out.push({
        db: 'algorithms',
        measurement: 'baseline',
        tags: { ...tags, key: 'idle-power' },
        fields: { value: m.idlePowerKw, unit: 'kW', n: m.idleSamples },
        ts: now,
      });
    }
    for (const [key, ln] of Object.entries(m.refs)) {
      out.push({
        db: 'algorithms',
        measurement: 'baseline',
        tags: { ...tags, key: `eA:${key}` },
        fields: { value: Math.exp(ln), unit: 'J/cm²' },
        ts: now,
      });
    }
    const b = m.blade;
    if (!b) continue;
    out.push({
      db: 'algorithms',
      measurement: 'life_model',
      tags,
      fields: {
        bladeId: b.bladeId,
        knownFromNew: b.knownFromNew,
        cuts: b.cuts,
        areaCm2: b.areaCm2,
        endOfLife: m.endOfLife,
        steps: b.steps,
        ...(b.used !== undefined ? { used: b.used } : {}),
        ...(m.expectedLifeCm2 !== undefined ? { expectedLifeCm2: m.expectedLifeCm2 } : {}),
        ...(b.remaining
          ? { remainingCm2: b.remaining.areaCm2, lowCm2: b.remaining.lowCm2, highCm2: b.remaining.highCm2 }
          : {}),
      },
      ts: now,
    });
  }
  return out;
}

/** Measured precision per rule version from the stored warning history and feedback. */
export function precisionPoints(
  raised: readonly SeriesRow[],
  feedback: readonly SeriesRow[],
  now: number,
): Point[] {
  const by = new Map<
    string,
    { warnings: number; confirmed: number; falseAlarms: number; corrected: number }
  >();
  const get = (rule: string) => {
    let q = by.get(rule);
    if (!q) {
      q = { warnings: 0, confirmed: 0, falseAlarms: 0, corrected: 0 };
      by.set(rule, q);
    }
    return q;
  };
  for (const r of raised) get(str(r.values.rule) ?? 'unknown').warnings++;
  for (const r of feedback) {
    const q = get(str(r.values.rule) ?? 'unknown');
    const v = r.tags.verdict;
    if (v === 'confirmed') q.confirmed++;
    else if (v === 'false-alarm') q.falseAlarms++;
    else q.corrected++;
  }
  return [...by].map(([rule, q]) => {
    const judged = q.confirmed + q.falseAlarms + q.corrected;
    return {
      db: 'algorithms',
      measurement: 'rule_precision',
      tags: { rule },
      fields: {
        warnings: q.warnings,
        judged,
        confirmed: q.confirmed + q.corrected,
        falseAlarms: q.falseAlarms,
        ...(judged > 0 ? { precision: (q.confirmed + q.corrected) / judged } : {}),
      },
      ts: now,
    };
  });
}

const mid = ([a, b]: readonly [number, number]) => (a + b) / 2;
/** a cut follows a recommendation when its blade speed is within this share of it */
export const FOLLOW_TOLERANCE = 0.15;

const meanOf = (xs: number[]) => (xs.length > 0 ? xs.reduce((s, x) => s + x, 0) / xs.length : undefined);

/**
 * Process recommendations from the cutting charts (seeds; DOMAIN §3) per machine × material
 * class × size bin that the machine cut, with their outcome: the cuts that ran near the
 * recommended blade speed against the others (cutting rate, energy per cm²).
 */
export function recommendationPoints(
  seeds: Seeds,
  cuts: readonly SeriesRow[],
  modelOf: (machine: string) => string | undefined,
  now: number,
): Point[] {
  const groups = new Map<string, SeriesRow[]>();
  for (const r of cuts) {
    const key = `${r.tags.tenant}|${r.tags.machine}|${str(r.values.materialClass)}|${sizeBin(num(r.values.sizeMm))}`;
    const list = groups.get(key) ?? [];
    list.push(r);
    groups.set(key, list);
  }
  const out: Point[] = [];
  const c = seeds.corrections;
  for (const [key, list] of groups) {
    const [tenant, machine, materialClass, bin] = key.split('|') as [string, string, string, string];
    const grades = new Map<string, number>();
    for (const r of list)
      grades.set(str(r.values.materialGrade) ?? '', (grades.get(str(r.values.materialGrade) ?? '') ?? 0) + 1);
    const grade = [...grades].sort((a, b) => b[1] - a[1])[0]![0];
    const mat = seeds.lookup.material.get(grade);
    if (!mat) continue;
    const size = list.map((r) => num(r.values.sizeMm)).sort((a, b) => a - b)[Math.floor(list.length / 2)]!;
    let speed =
      (mid(mat.speedMMin) * correctionAt(c.sectionSpeed.points, size)) /
      correctionAt(c.sectionSpeed.points, mat.refSizeMm);
    if ((mat.hardness.hrc ?? 0) >= 35) speed *= c.hardness35Hrc;
    const model = seeds.lookup.model.get(modelOf(machine) ?? '');
    if (model) speed = Math.min(model.bladeSpeedRange[1], Math.max(model.bladeSpeedRange[0], speed));
    const rate =
      (mid(mat.rateCm2Min) * correctionAt(c.sectionRate.points, size)) /
      correctionAt(c.sectionRate.points, mat.refSizeMm);
    const done = list.filter(
      (r) => r.values.completed === true && typeof r.values.meanBladeSpeed === 'number',
    );
    const followed = done.filter(
      (r) => Math.abs(num(r.values.meanBladeSpeed) - speed) <= FOLLOW_TOLERANCE * speed,
    );
    const other = done.filter((r) => !followed.includes(r));
    const rates = (rs: SeriesRow[]) => meanOf(rs.map((r) => num(r.values.cuttingRateCm2Min)));
    const kwh = (rs: SeriesRow[]) => meanOf(rs.map((r) => num(r.values.kWhPerCm2)));
    const opt = (k: string, v: number | undefined) => (v === undefined ? {} : { [k]: v });
    out.push({
      db: 'algorithms',
      measurement: 'recommendation',
      tags: { tenant, machine, materialClass, sizeBin: bin },
      fields: {
        speedMMin: speed,
        rateCm2Min: rate,
        tpi: optimumTpi(c, size)[0] ?? '',
        source: 'chart',
        cuts: list.length,
        followed: followed.length,
        ...opt('followedRateCm2Min', rates(followed)),
        ...opt('otherRateCm2Min', rates(other)),
        ...opt('followedKWhPerCm2', kwh(followed)),
        ...opt('otherKWhPerCm2', kwh(other)),
      },
      ts: now,
    });
  }
  return out;
}
