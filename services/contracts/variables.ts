/**
 * The variables a band-saw controller reports (DOMAIN.md §1), with their units and the range a
 * plausible reading can take. This table is the single source for the telemetry schema, the
 * JSON Schema published to outsiders, the store's field names and the spec in docs/.
 *
 * Ranges are physical plausibility bounds, not alarm limits: a value outside them is a broken
 * sensor or a wrong unit (e.g. ft/min sent as m/min), and the message is rejected.
 */
export interface VariableSpec {
  readonly unit: string;
  readonly min: number;
  readonly max: number;
  readonly description: string;
}

export const TELEMETRY_VARIABLES = {
  bladeSpeed: { unit: 'm/min', min: 0, max: 400, description: 'Blade linear speed' },
  downFeed: { unit: 'mm/min', min: 0, max: 1000, description: 'Head down-feed rate' },
  feedForce: { unit: 'N', min: 0, max: 100_000, description: 'Feed (cutting) force on the blade' },
  motorCurrent: { unit: 'A', min: 0, max: 2000, description: 'Main drive motor current (RMS)' },
  power: { unit: 'kW', min: 0, max: 500, description: 'Main drive active power' },
  hydraulicPressure: { unit: 'MPa', min: 0, max: 40, description: 'Feed hydraulic pressure' },
  bladeTension: { unit: 'N/mm²', min: 0, max: 500, description: 'Blade tension (stress)' },
  bladeDeviation: {
    unit: 'mm',
    min: -50,
    max: 50,
    description: 'Lateral blade deflection from the cut line (signed)',
  },
  vibration: { unit: 'mm/s', min: 0, max: 200, description: 'Vibration velocity RMS (ISO 10816)' },
  motorTemp: { unit: '°C', min: -40, max: 250, description: 'Main motor winding/housing temperature' },
  hydraulicOilTemp: { unit: '°C', min: -40, max: 200, description: 'Hydraulic oil temperature' },
  coolantTemp: { unit: '°C', min: -40, max: 150, description: 'Coolant temperature' },
  bladeTemp: { unit: '°C', min: -40, max: 900, description: 'Blade / chip temperature near the cut' },
  gearboxTemp: { unit: '°C', min: -40, max: 250, description: 'Gearbox / wheel bearing temperature' },
  coolantFlow: { unit: 'L/min', min: 0, max: 500, description: 'Coolant flow on the main pipe' },
  coolantConcentration: { unit: '%', min: 0, max: 100, description: 'Coolant oil concentration' },
  headPosition: { unit: 'mm', min: -100, max: 5000, description: 'Saw head height above the bed' },
} as const satisfies Record<string, VariableSpec>;

export type TelemetryVariable = keyof typeof TELEMETRY_VARIABLES;
export const TELEMETRY_VARIABLE_NAMES = Object.keys(TELEMETRY_VARIABLES) as TelemetryVariable[];

/** Units of the cut record's numeric fields (documented next to the schema). */
export const CUT_UNITS = {
  areaCm2: 'cm²',
  cuttingRateCm2Min: 'cm²/min',
  energyKWh: 'kWh',
  cuttingEnergyKWh: 'kWh',
  peakCurrentA: 'A',
  meanCurrentA: 'A',
  maxDeviationMm: 'mm',
  meanBladeSpeed: 'm/min',
  meanDownFeed: 'mm/min',
  meanFeedForce: 'N',
  durationS: 's',
} as const;
