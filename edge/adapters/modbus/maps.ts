import type { TelemetryVariable } from '../../../services/contracts/variables.js';
import { ModbusMap, type ModbusMapInput } from './map-schema.js';

/**
 * Built-in register maps for three common PLC layouts of band saws (docs/edge.md has the tables).
 * They are templates of the conventions PLC programmers use, not a vendor's published map: check
 * them against the saw's PLC program, or copy one into the config and adjust it.
 */

/** Order of the variables in every built-in map: the spec table order. */
const ORDER: TelemetryVariable[] = [
  'bladeSpeed',
  'downFeed',
  'feedForce',
  'motorCurrent',
  'power',
  'hydraulicPressure',
  'bladeTension',
  'bladeDeviation',
  'vibration',
  'motorTemp',
  'hydraulicOilTemp',
  'coolantTemp',
  'bladeTemp',
  'gearboxTemp',
  'coolantFlow',
  'coolantConcentration',
  'headPosition',
];

/** scale and signedness of each variable as a 16-bit integer (u16 unless signed) */
const U16_SCALE: Record<TelemetryVariable, [scale: number, signed: boolean]> = {
  bladeSpeed: [0.1, false],
  downFeed: [0.1, false],
  feedForce: [10, false],
  motorCurrent: [0.1, false],
  power: [0.01, false],
  hydraulicPressure: [0.01, false],
  bladeTension: [0.1, false],
  bladeDeviation: [0.01, true],
  vibration: [0.01, false],
  motorTemp: [0.1, true],
  hydraulicOilTemp: [0.1, true],
  coolantTemp: [0.1, true],
  bladeTemp: [0.1, true],
  gearboxTemp: [0.1, true],
  coolantFlow: [0.1, false],
  coolantConcentration: [0.1, false],
  headPosition: [0.1, true],
};

const MODE_CODES = { '0': 'idle', '1': 'running', '2': 'setup', '3': 'blade-change', '4': 'alarm' } as const;

/** 16-bit scaled integers, everything in holding registers (FC3), the most common small-PLC layout. */
const basicU16: ModbusMapInput = {
  name: 'basic-u16',
  description: 'u16/i16 scaled integers in holding registers 0-16; status 20-23; commands 30-34',
  wordOrder: 'big',
  variables: Object.fromEntries(
    ORDER.map((v, i) => {
      const [scale, signed] = U16_SCALE[v];
      return [v, { table: 'holding', address: i, type: signed ? 'i16' : 'u16', scale }];
    }),
  ),
  status: {
    guardOpen: { address: 20, bit: 0 },
    feedHold: { address: 20, bit: 1 },
    alarmCode: { address: 21 },
    alarmSeverity: { address: 22 },
    mode: { address: 23 },
    feedOverride: { address: 30 },
    bladeSpeedSetpoint: { address: 31, scale: 0.1 },
  },
  modeCodes: MODE_CODES,
  commands: {
    feedOverride: { address: 30 },
    bladeSpeedSetpoint: { address: 31, scale: 0.1 },
    feedHold: { address: 32 },
    stopAfterCut: { address: 33 },
    alarmReset: { address: 34 },
  },
};

/** IEEE-754 floats, low word first (CDAB), measurements in input registers (FC4) from 0. */
const floatCdab: ModbusMapInput = {
  name: 'float-cdab',
  description: 'f32 word-swapped (CDAB) in input registers 0-33, status/commands in holding 100-120',
  wordOrder: 'little',
  variables: Object.fromEntries(ORDER.map((v, i) => [v, { table: 'input', address: i * 2, type: 'f32' }])),
  status: {
    guardOpen: { address: 100 },
    alarmCode: { address: 101 },
    alarmSeverity: { address: 102 },
    mode: { address: 103 },
    feedHold: { address: 114 },
    feedOverride: { address: 110, type: 'f32' },
    bladeSpeedSetpoint: { address: 112, type: 'f32' },
  },
  modeCodes: MODE_CODES,
  commands: {
    feedOverride: { address: 110, type: 'f32' },
    bladeSpeedSetpoint: { address: 112, type: 'f32' },
    feedHold: { address: 114 },
    stopAfterCut: { address: 115 },
    alarmReset: { address: 116 },
  },
};

/** 32-bit signed integers in milli-units, high word first (ABCD), holding registers from 1000. */
const int32Abcd: ModbusMapInput = {
  name: 'int32-abcd',
  description: 'i32 in thousandths, high word first (ABCD), holding registers 1000-1033; status 1100-1103',
  wordOrder: 'big',
  variables: Object.fromEntries(
    ORDER.map((v, i) => [v, { table: 'holding', address: 1000 + i * 2, type: 'i32', scale: 0.001 }]),
  ),
  status: {
    guardOpen: { address: 1100, bit: 0 },
    feedHold: { address: 1100, bit: 1 },
    alarmCode: { address: 1101 },
    alarmSeverity: { address: 1102 },
    mode: { address: 1103 },
    feedOverride: { address: 1110, type: 'i32', scale: 0.001 },
    bladeSpeedSetpoint: { address: 1112, type: 'i32', scale: 0.001 },
  },
  modeCodes: MODE_CODES,
  commands: {
    feedOverride: { address: 1110, type: 'i32', scale: 0.001 },
    bladeSpeedSetpoint: { address: 1112, type: 'i32', scale: 0.001 },
    feedHold: { address: 1114 },
    stopAfterCut: { address: 1115 },
    alarmReset: { address: 1116 },
  },
};

export const BUILT_IN_MAPS: Readonly<Record<string, ModbusMap>> = Object.freeze(
  Object.fromEntries([basicU16, floatCdab, int32Abcd].map((m) => [m.name, ModbusMap.parse(m)])),
);

export const BUILT_IN_MAP_NAMES = Object.keys(BUILT_IN_MAPS);

/** A built-in map by name, or the inline map of the config (already parsed). */
export function resolveMap(map: string | ModbusMap): ModbusMap {
  if (typeof map !== 'string') return map;
  const found = BUILT_IN_MAPS[map];
  if (!found)
    throw new RangeError(`unknown Modbus map "${map}" (built in: ${BUILT_IN_MAP_NAMES.join(', ')})`);
  return found;
}
