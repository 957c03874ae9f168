import type { AnyMessage, TopicAddress } from '../contracts/index.js';
import type { FieldValue, Point, ScannedSamples } from '../core/ports.js';

/**
 * Maps one validated message of the standard to points of the operations database.
 *
 * Tags are chosen so that a re-sent message lands on the same identity (tenant, machine, [code],
 * device timestamp) and overwrites itself: replays and QoS 1 duplicates are idempotent.
 * Measurements and their fields are documented in docs/data-standard.md.
 */
export const MEASUREMENTS = {
  telemetry: 'telemetry',
  cut: 'cut',
  state: 'state',
  alarm: 'alarm',
  blade: 'blade_event',
  birth: 'birth',
  commandAck: 'command_ack',
  dataQuality: 'data_quality',
} as const;

function compact(fields: Record<string, FieldValue | undefined>): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  for (const key in fields) {
    const value = fields[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

export function messageToPoints(address: TopicAddress, message: AnyMessage): Point[] {
  const tags = { tenant: address.tenant, machine: address.machine };
  switch (message.kind) {
    case 'telemetry': {
      // hot path: one point per sample, fields copied without the timestamp (validated values
      // are all numbers; absent variables are absent, never undefined)
      const samples = message.payload.samples;
      const points: Point[] = new Array(samples.length);
      for (let i = 0; i < samples.length; i++) {
        const sample = samples[i]! as Record<string, number>;
        const fields: Record<string, FieldValue> = {};
        for (const key in sample) if (key !== 'ts') fields[key] = sample[key]!;
        points[i] = { db: 'operations', measurement: MEASUREMENTS.telemetry, tags, fields, ts: sample.ts! };
      }
      return points;
    }
    case 'cut': {
      const c = message.payload;
      const fields = compact({
        cutId: c.cutId,
        end: c.end,
        durationS: (c.end - c.start) / 1000,
        completed: c.completed,
        materialGrade: c.material.grade,
        materialClass: c.material.class,
        sectionShape: c.section.shape,
        diameterMm: c.section.diameterMm,
        widthMm: c.section.widthMm,
        heightMm: c.section.heightMm,
        wallMm: c.section.wallMm,
        pieces: c.section.pieces,
        areaCm2: c.areaCm2,
        cuttingRateCm2Min: c.cuttingRateCm2Min,
        energyKWh: c.energyKWh,
        cuttingEnergyKWh: c.cuttingEnergyKWh,
        peakCurrentA: c.peakCurrentA,
        meanCurrentA: c.meanCurrentA,
        maxDeviationMm: c.maxDeviationMm,
        meanBladeSpeed: c.meanBladeSpeed,
        meanDownFeed: c.meanDownFeed,
        meanFeedForce: c.meanFeedForce,
        bladeId: c.bladeId,
      });
      return [{ db: 'operations', measurement: MEASUREMENTS.cut, tags, fields, ts: c.start }];
    }
    case 'state': {
      const s = message.payload;
      const fields = compact({ state: s.state, reason: s.reason, lastWill: s.lastWill ?? false });
      return [{ db: 'operations', measurement: MEASUREMENTS.state, tags, fields, ts: s.ts }];
    }
    case 'alarm': {
      const a = message.payload;
      return [
        {
          db: 'operations',
          measurement: MEASUREMENTS.alarm,
          tags: { ...tags, code: a.code },
          fields: compact({ severity: a.severity, active: a.active, text: a.text }),
          ts: a.ts,
        },
      ];
    }
    case 'blade': {
      const b = message.payload;
      const fields = compact({
        event: b.event,
        bladeId: b.blade.bladeId,
        bladeType: b.blade.type,
        catalogueId: b.blade.catalogueId,
        widthMm: b.blade.widthMm,
        thicknessMm: b.blade.thicknessMm,
        lengthMm: b.blade.lengthMm,
        tpi: b.blade.tpi,
        supplier: b.blade.supplier,
        reason: b.reason,
        areaCutCm2: b.areaCutCm2,
        cuts: b.cuts,
      });
      return [{ db: 'operations', measurement: MEASUREMENTS.blade, tags, fields, ts: b.ts }];
    }
    case 'birth': {
      const b = message.payload;
      const fields = compact({
        bootId: b.bootId,
        model: b.model,
        serial: b.serial,
        firmware: b.firmware,
        capabilities: b.capabilities.join(','),
        sampleIntervalMs: b.sampleIntervalMs,
        bladeId: b.blade?.bladeId,
        gateway: b.gateway,
      });
      return [{ db: 'operations', measurement: MEASUREMENTS.birth, tags, fields, ts: b.ts }];
    }
    case 'command-ack': {
      const a = message.payload;
      return [
        {
          db: 'operations',
          measurement: MEASUREMENTS.commandAck,
          tags: { ...tags, status: a.status },
          fields: compact({ commandId: a.commandId, reason: a.reason }),
          ts: a.ts,
        },
      ];
    }
    case 'command':
    case 'warning':
      // Downlink: the API and analysis record these themselves; ingest does not subscribe to them.
      return [];
  }
}

/** Points of scanned telemetry samples, for a store without `StoreBatch.addSamples`. */
export function scannedPoints(tags: Record<string, string>, s: ScannedSamples): Point[] {
  const points: Point[] = new Array(s.samples);
  for (let i = 0; i < s.samples; i++) {
    const fields: Record<string, FieldValue> = {};
    for (let f = s.fieldFrom[i]!; f < s.fieldFrom[i + 1]!; f++)
      fields[s.names[s.variable[f]!]!] = s.valueAt(f);
    points[i] = { db: 'operations', measurement: MEASUREMENTS.telemetry, tags, fields, ts: s.sampleTs[i]! };
  }
  return points;
}
