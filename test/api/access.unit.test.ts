import { describe, expect, it } from 'vitest';
import {
  checkFilter,
  lineFor,
  machineFor,
  plantFor,
  sees,
  visibleMachines,
} from '../../services/api/access.js';
import { isSawBrainError } from '../../services/core/errors.js';
import { type ApiIdentity, MachineRegistry } from '../../services/registry/index.js';

const id = (role: ApiIdentity['role'], scope: { tenant?: string; plant?: string } = {}): ApiIdentity => ({
  keyId: `k_${role}`,
  role,
  tenant: scope.tenant ?? null,
  plant: scope.plant ?? null,
  label: role,
});

const code = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return isSawBrainError(err) ? err.code : 'other';
  }
};

describe('object-level access policy', () => {
  const registry = new MachineRegistry(':memory:', { scrypt: { N: 1024, r: 8, p: 1 } });
  const add = (machineId: string, tenant: string, plant: string, site = 'hall-1') =>
    registry.addMachine({
      machineId,
      tenant,
      plant,
      site,
      region: 'r',
      industry: 'i',
      model: 'm',
      serial: `S-${machineId}`,
    });

  it('admin sees everything (unknown → 404); others get 403 for foreign and unknown ids alike', async () => {
    await add('A1', 'chenlong', 'p1');
    await add('B1', 'julihuang', 'p1', 'hall-2');
    await add('B2', 'julihuang', 'p2');
    const mfrA = id('manufacturer', { tenant: 'chenlong' });
    const plant1 = id('plant', { plant: 'p1' });
    expect(code(() => machineFor(id('admin'), registry, 'B2'))).toBe('ok');
    expect(code(() => machineFor(id('admin'), registry, 'NOPE'))).toBe('NOT_FOUND');
    expect(code(() => machineFor(mfrA, registry, 'A1'))).toBe('ok');
    expect(code(() => machineFor(mfrA, registry, 'B1'))).toBe('FORBIDDEN');
    expect(code(() => machineFor(mfrA, registry, 'NOPE'))).toBe('FORBIDDEN');
    // a plant sees every saw standing in it, whoever made it
    expect(code(() => machineFor(plant1, registry, 'B1'))).toBe('ok');
    expect(code(() => machineFor(plant1, registry, 'B2'))).toBe('FORBIDDEN');
    expect(code(() => machineFor(id('innovation'), registry, 'A1'))).toBe('FORBIDDEN');
    expect(visibleMachines(plant1, registry).map((m) => m.machineId)).toEqual(['A1', 'B1']);
    expect(visibleMachines(id('innovation'), registry)).toEqual([]);
  });

  it('plants and lines: a manufacturer sees only its own machines in a customer plant', () => {
    const mfrA = id('manufacturer', { tenant: 'chenlong' });
    expect(plantFor(mfrA, registry, 'p1').map((m) => m.machineId)).toEqual(['A1']);
    expect(code(() => plantFor(mfrA, registry, 'p2'))).toBe('FORBIDDEN');
    expect(code(() => lineFor(mfrA, registry, 'p1', 'hall-2'))).toBe('FORBIDDEN');
    expect(lineFor(id('plant', { plant: 'p1' }), registry, 'p1', 'hall-2').map((m) => m.machineId)).toEqual([
      'B1',
    ]);
    expect(code(() => plantFor(id('plant', { plant: 'p1' }), registry, 'p2'))).toBe('FORBIDDEN');
  });

  it('filters naming another tenant or plant are refused, not emptied', () => {
    expect(code(() => checkFilter(id('manufacturer', { tenant: 'chenlong' }), { tenant: 'julihuang' }))).toBe(
      'FORBIDDEN',
    );
    expect(code(() => checkFilter(id('plant', { plant: 'p1' }), { plant: 'p2' }))).toBe('FORBIDDEN');
    expect(code(() => checkFilter(id('plant', { plant: 'p1' }), { tenant: 'julihuang' }))).toBe('ok');
    expect(sees(id('innovation'), { tenant: 'x', plant: 'y' })).toBe(false);
  });
});
