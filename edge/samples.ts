import type { Sample } from '../services/contracts/index.js';
import { TELEMETRY_VARIABLES, type TelemetryVariable } from '../services/contracts/variables.js';

/**
 * A controller sample made fit for the standard: integer epoch-ms time, values rounded to 6
 * decimals (no float noise from scaling), values outside the plausibility range set aside and
 * reported. null when nothing is left.
 */
export function cleanSample(
  raw: Sample,
  onRejected: (variable: TelemetryVariable, value: number) => void,
): Sample | null {
  const out: Record<string, number> = { ts: Math.round(raw.ts) };
  let n = 0;
  for (const [name, value] of Object.entries(raw)) {
    if (name === 'ts' || value === undefined) continue;
    const spec = TELEMETRY_VARIABLES[name as TelemetryVariable];
    if (!spec) continue;
    const v = Math.round((value as number) * 1e6) / 1e6;
    if (!Number.isFinite(v) || v < spec.min || v > spec.max) {
      onRejected(name as TelemetryVariable, value as number);
      continue;
    }
    out[name] = v;
    n++;
  }
  return n > 0 ? (out as Sample) : null;
}
