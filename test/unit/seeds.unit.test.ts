import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BladeSpec } from '../../services/contracts/index.js';
import { isSawBrainError, type SawBrainError } from '../../services/core/errors.js';
import { loadSeeds, parseSeeds, SEED_FILES, type SeedKey } from '../../services/seeds/index.js';

const seeds = loadSeeds('seeds');

describe('seeds load', () => {
  it('has the reference data the brief asks for', () => {
    expect(seeds.models.length).toBeGreaterThanOrEqual(6);
    expect(new Set(seeds.models.map((m) => m.maker))).toEqual(
      new Set(['Chenlong', 'Julihuang', 'Amada', 'Sanhe', 'KASTO']),
    );
    expect(seeds.models.every((m) => m.illustrative)).toBe(true);
    expect(new Set(seeds.models.map((m) => m.type))).toEqual(
      new Set(['horizontal', 'vertical', 'double-column']),
    );
    expect(seeds.materials.length).toBeGreaterThanOrEqual(20);
    for (const grade of [
      '1045',
      '304',
      '316',
      'H13',
      'D2',
      'M2',
      'O1',
      '1018',
      '4140',
      '6061',
      'Inconel 718',
      'Ti-6Al-4V',
    ]) {
      expect(seeds.lookup.material.get(grade), grade).toBeDefined();
    }
    expect(seeds.tenants.map((t) => t.slug).sort()).toEqual([
      'amada-lyg',
      'chenlong',
      'julihuang',
      'kasto-cn',
      'sanhe',
    ]);
    expect(seeds.machines.length).toBeGreaterThanOrEqual(20);
    expect(new Set(seeds.machines.map((m) => m.region)).size).toBeGreaterThanOrEqual(5);
    expect(new Set(seeds.machines.map((m) => m.industry)).size).toBeGreaterThanOrEqual(6);
    expect(seeds.blades.some((b) => b.type === 'carbide-tipped')).toBe(true);
    expect(seeds.blades.some((b) => b.type === 'bimetal-m51')).toBe(true);
  });

  it('marks the DOMAIN gaps as estimates', () => {
    for (const grade of ['4140', '6061', 'Inconel 718', 'Ti-6Al-4V']) {
      expect(seeds.lookup.material.get(grade)!.source, grade).toBe('estimate');
    }
    expect(seeds.lookup.material.get('304')!.source).toBe('chart');
    expect(seeds.lookup.chartClass.get('est-nickel')!.source).toBe('estimate');
  });

  it('converts the charts to SI (sfpm × 0.3048, in²/min × 6.4516)', () => {
    const row = seeds.lookup.chartClass.get('sb-1048-1065')!;
    const over6 = row.bins[row.bins.length - 1]!;
    expect(over6.upToMm).toBeNull();
    expect(over6.original).toEqual({ sfpm: 150, in2PerMin: [5, 10] });
    expect(over6.speedMMin[0]).toBeCloseTo(150 * 0.3048, 1);
    expect(over6.rateCm2Min![0]).toBeCloseTo(5 * 6.4516, 1);
    expect(over6.rateCm2Min![1]).toBeCloseTo(10 * 6.4516, 1);
    const h13 = seeds.lookup.material.get('H13')!;
    expect(h13.speedMMin).toEqual([43, 49]);
    expect(h13.rateCm2Min).toEqual([19, 26]);
    expect(seeds.corrections.sectionSpeed.points.find((p) => p.sizeMm === 203.2)!.factor).toBe(0.88);
    expect(seeds.corrections.breakIn.areaCm2).toEqual([194, 645]);
  });

  it('keeps physical figures inside DOMAIN bounds', () => {
    for (const m of seeds.models) {
      expect(m.tensionRange[0]).toBeGreaterThanOrEqual(103);
      expect(m.tensionRange[1]).toBeLessThanOrEqual(241);
      expect(m.bladeSpeedRange[0]).toBeGreaterThanOrEqual(12);
      expect(m.bladeSpeedRange[1]).toBeLessThanOrEqual(150);
      expect(m.idlePowerKw).toBeLessThan(m.motorKw);
    }
    for (const b of seeds.blades) {
      expect(b.kerfMm).toBeGreaterThan(b.thicknessMm);
      // catalogue entries turn into the contract's BladeSpec
      const spec = {
        bladeId: 'x',
        type: b.type,
        widthMm: b.widthMm,
        thicknessMm: b.thicknessMm,
        lengthMm: 4000,
        tpi: b.tpi,
      };
      expect(BladeSpec.safeParse(spec).success).toBe(true);
    }
  });
});

describe('cross-references', () => {
  it('resolves fleet → models, plants, regions, industries, tenants', () => {
    for (const m of seeds.machines) {
      const model = seeds.lookup.model.get(m.model)!;
      expect(model.tenant).toBe(m.tenant);
      expect(seeds.lookup.region.get(m.region)).toBeDefined();
      expect(seeds.lookup.industry.get(m.industry)).toBeDefined();
      expect(seeds.lookup.plant.get(m.plant)!.region).toBe(m.region);
      expect(seeds.lookup.tenant.get(m.tenant)).toBeDefined();
    }
  });

  it('resolves materials → classes, industries → grades, models → blades', () => {
    for (const m of seeds.materials) expect(seeds.lookup.chartClass.get(m.classId), m.grade).toBeDefined();
    for (const i of seeds.industries) {
      for (const { grade } of i.materials) expect(seeds.lookup.material.get(grade), grade).toBeDefined();
    }
    for (const m of seeds.models) {
      const fits = seeds.blades.filter(
        (b) => b.widthMm === m.bladeDims.widthMm && b.thicknessMm === m.bladeDims.thicknessMm,
      );
      expect(fits.length, m.id).toBeGreaterThan(0);
    }
  });

  it('returns frozen data', () => {
    expect(Object.isFrozen(seeds)).toBe(true);
    expect(Object.isFrozen(seeds.models[0])).toBe(true);
    expect(Object.isFrozen(seeds.models[0]!.bladeDims)).toBe(true);
    expect(() => {
      (seeds.models[0] as { motorKw: number }).motorKw = 99;
    }).toThrow(TypeError);
  });
});

describe('validation errors', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  const copy = () => {
    dir = mkdtempSync(join(tmpdir(), 'sawbrain-seeds-'));
    cpSync('seeds', dir, { recursive: true });
    return dir;
  };
  const edit = (d: string, file: string, fn: (json: Record<string, unknown>) => void) => {
    const path = join(d, file);
    const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    fn(json);
    writeFileSync(path, JSON.stringify(json));
  };
  const failure = (fn: () => unknown): SawBrainError => {
    try {
      fn();
    } catch (err) {
      if (isSawBrainError(err, 'CONFIG_INVALID')) return err;
      throw err;
    }
    throw new Error('expected CONFIG_INVALID');
  };

  it('reports every problem at once, across files', () => {
    const d = copy();
    edit(d, 'models.json', (j) => {
      const items = j.items as Record<string, unknown>[];
      items[0]!.tensionRange = [90, 300];
    });
    edit(d, 'materials.json', (j) => {
      const items = j.items as Record<string, unknown>[];
      items[1]!.speedMMin = [80, 70];
    });
    writeFileSync(join(d, 'regions.json'), '{ not json');
    unlinkSync(join(d, 'blades.json'));
    const err = failure(() => loadSeeds(d));
    expect(err.status).toBe(500);
    expect(err.message).toContain('models.json');
    expect(err.message).toContain('tensionRange');
    expect(err.message).toContain('materials.json');
    expect(err.message).toContain('lo ≤ hi');
    expect(err.message).toContain('regions.json: not JSON');
    expect(err.message).toContain('blades.json: cannot read (ENOENT)');
  });

  it('reports broken cross-references', () => {
    const d = copy();
    edit(d, 'demo-fleet.json', (j) => {
      const items = j.items as Record<string, unknown>[];
      items[0]!.model = 'no-such-model';
      items[1]!.region = 'atlantis';
      items[2]!.industry = 'alchemy';
      items[3]!.machineId = (items[4] as { machineId: string }).machineId;
    });
    edit(d, 'materials.json', (j) => {
      (j.items as Record<string, unknown>[])[0]!.classId = 'no-such-class';
    });
    edit(d, 'industries.json', (j) => {
      const first = (j.items as { materials: { grade: string; weight: number }[] }[])[0]!;
      first.materials.push({ grade: 'unobtainium', weight: 1 });
    });
    const err = failure(() => loadSeeds(d));
    for (const text of [
      'unknown model "no-such-model"',
      'unknown region "atlantis"',
      'unknown industry "alchemy"',
      'duplicate id',
      'classId "no-such-class" is not in cutting-charts.json',
      'grade "unobtainium" is not in materials.json',
    ]) {
      expect(err.message).toContain(text);
    }
  });

  it('parses in-memory files and reports missing ones', () => {
    const raw = Object.fromEntries(
      (Object.keys(SEED_FILES) as SeedKey[]).map((k) => [
        k,
        JSON.parse(readFileSync(join('seeds', SEED_FILES[k].file), 'utf8')) as unknown,
      ]),
    ) as Record<SeedKey, unknown>;
    expect(parseSeeds(raw).models.length).toBe(seeds.models.length);
    const { industries: _drop, ...rest } = raw;
    expect(failure(() => parseSeeds(rest)).message).toContain('industries.json: missing');
  });
});
