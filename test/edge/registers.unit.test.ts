import { describe, expect, it } from 'vitest';
import { ModbusMap } from '../../edge/adapters/modbus/map-schema.js';
import { BUILT_IN_MAP_NAMES, BUILT_IN_MAPS } from '../../edge/adapters/modbus/maps.js';
import { emptyImage, planReads, registerValue, storeBlock } from '../../edge/adapters/modbus/plan.js';
import {
  decodeRegisters,
  encodeRegisters,
  type RegisterType,
  toEngineering,
  toRaw,
} from '../../edge/adapters/modbus/registers.js';

describe('Modbus register decoding', () => {
  it('decodes 16-bit unsigned and signed words', () => {
    expect(decodeRegisters([0xffff], 'u16', 'big')).toBe(65_535);
    expect(decodeRegisters([0xffff], 'i16', 'big')).toBe(-1);
    expect(decodeRegisters([0x8000], 'i16', 'little')).toBe(-32_768);
  });

  it('honours the word order of 32-bit values (ABCD vs CDAB)', () => {
    expect(decodeRegisters([0x0001, 0x0002], 'u32', 'big')).toBe(0x0001_0002);
    expect(decodeRegisters([0x0002, 0x0001], 'u32', 'little')).toBe(0x0001_0002);
    expect(decodeRegisters([0xffff, 0xfffe], 'i32', 'big')).toBe(-2);
    // 65.3 as IEEE-754 single is 0x42829999
    expect(decodeRegisters([0x4282, 0x9999], 'f32', 'big')).toBeCloseTo(65.3, 5);
    expect(decodeRegisters([0x9999, 0x4282], 'f32', 'little')).toBeCloseTo(65.3, 5);
  });

  it('round-trips every type in both word orders', () => {
    const cases: [RegisterType, number][] = [
      ['u16', 4321],
      ['i16', -1234],
      ['u32', 3_000_000_000],
      ['i32', -2_000_000_000],
      ['f32', -12.5],
    ];
    for (const [type, v] of cases) {
      for (const order of ['big', 'little'] as const) {
        expect(decodeRegisters(encodeRegisters(v, type, order), type, order)).toBe(v);
      }
    }
  });

  it('refuses values that do not fit the register', () => {
    expect(() => encodeRegisters(70_000, 'u16', 'big')).toThrow(RangeError);
    expect(() => encodeRegisters(-1, 'u32', 'big')).toThrow(RangeError);
    expect(() => encodeRegisters(Number.NaN, 'f32', 'big')).toThrow(RangeError);
  });

  it('scales raw values to engineering units and back', () => {
    expect(toEngineering(653, 0.1, 0)).toBeCloseTo(65.3, 10);
    expect(toEngineering(-400, 0.1, 20)).toBeCloseTo(-20, 10);
    expect(toRaw(65.3, 0.1, 0)).toBeCloseTo(653, 10);
  });
});

describe('Modbus read planning', () => {
  it('merges nearby registers into one request per table and keeps far ones apart', () => {
    const blocks = planReads([
      { table: 'holding', address: 0, type: 'u16', scale: 1, offset: 0 },
      { table: 'holding', address: 3, type: 'u32', scale: 1, offset: 0 },
      { table: 'holding', address: 500, type: 'u16', scale: 1, offset: 0 },
      { table: 'input', address: 10, type: 'f32', scale: 1, offset: 0 },
    ]);
    expect(blocks).toEqual([
      { table: 'holding', start: 0, count: 5 },
      { table: 'holding', start: 500, count: 1 },
      { table: 'input', start: 10, count: 2 },
    ]);
  });

  it('reads every built-in map in a few requests and extracts flag bits', () => {
    for (const name of BUILT_IN_MAP_NAMES) {
      const map = BUILT_IN_MAPS[name]!;
      const refs = [...Object.values(map.variables), ...Object.values(map.status)].filter(
        (r) => r !== undefined,
      );
      expect(planReads(refs).length, name).toBeLessThanOrEqual(3);
      expect(Object.keys(map.variables).length, name).toBe(17);
    }
    const image = emptyImage();
    storeBlock(image, { table: 'holding', start: 20, count: 1 }, [0b10]);
    const map = BUILT_IN_MAPS['basic-u16']!;
    expect(registerValue(image, map.status.guardOpen!, 'big')).toBe(0);
    expect(registerValue(image, map.status.feedHold!, 'big')).toBe(1);
  });

  it('validates custom maps', () => {
    const bad = ModbusMap.safeParse({
      name: 'x',
      variables: { bladeSpeed: { address: 70_000 }, notAVariable: { address: 1 } },
    });
    expect(bad.success).toBe(false);
    const good = ModbusMap.parse({ name: 'mine', variables: { bladeSpeed: { address: 7, scale: 0.1 } } });
    expect(good.variables.bladeSpeed).toEqual({
      table: 'holding',
      address: 7,
      type: 'u16',
      scale: 0.1,
      offset: 0,
    });
  });
});
