import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateFile } from '../../services/contracts/cli.js';
import {
  fleetFilter,
  jsonSchemaOf,
  MESSAGE_KINDS,
  machineNamespace,
  parseTopic,
  TELEMETRY_VARIABLES,
  topicFor,
  validateMessage,
  validateRaw,
  validateTopicPayload,
} from '../../services/contracts/index.js';

const examples = join(import.meta.dirname, '../../docs/examples');
const example = (kind: string) => JSON.parse(readFileSync(join(examples, `${kind}.json`), 'utf8'));

describe('sawing data standard v1', () => {
  it('has a valid documented example for every message kind', () => {
    for (const kind of MESSAGE_KINDS) {
      const result = validateMessage(kind, example(kind));
      expect(result.ok, `${kind}: ${result.ok ? '' : result.message}`).toBe(true);
    }
  });

  it('builds and parses topics, refusing wildcards and foreign roots', () => {
    expect(topicFor('chenlong', 'CL-0001', 'cut')).toBe('sawbrain/v1/chenlong/CL-0001/cut');
    expect(parseTopic('sawbrain/v1/chenlong/CL-0001/telemetry')).toEqual({
      tenant: 'chenlong',
      machine: 'CL-0001',
      kind: 'telemetry',
    });
    expect(machineNamespace('t', 'm')).toBe('sawbrain/v1/t/m/');
    expect(fleetFilter('cut')).toBe('sawbrain/v1/+/+/cut');
    for (const bad of [
      'sawbrain/v1/+/m/cut',
      'sawbrain/v1/t/#/cut',
      'sawbrain/v2/t/m/cut',
      'sawbrain/v1/t/m/unknown',
      'sawbrain/v1/t/m/cut/extra',
      'sawbrain/v1/T!/m/cut',
      '$SYS/v1/t/m/cut',
      '',
    ]) {
      expect(parseTopic(bad), bad).toBeNull();
    }
  });

  it('rejects wrong units, out-of-range values and unknown fields with a readable reason', () => {
    const t = example('telemetry');
    const feet = structuredClone(t);
    feet.units.bladeSpeed = 'ft/min';
    expect(validateMessage('telemetry', feet)).toMatchObject({ ok: false, reason: 'schema' });
    const fast = structuredClone(t);
    fast.samples[1].bladeSpeed = 1200; // ft/min sent as m/min
    const r = validateMessage('telemetry', fast);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain('samples.1.bladeSpeed');
    const typo = structuredClone(t);
    typo.samples[0].bladeSped = 60;
    expect(validateMessage('telemetry', typo).ok).toBe(false);
    const asString = structuredClone(t);
    asString.samples[0].power = '4.1';
    expect(validateMessage('telemetry', asString).ok).toBe(false);
  });

  it('catches timestamps in seconds or microseconds and a missing (bootId, seq)', () => {
    const s = example('state');
    expect(validateMessage('state', { ...s, ts: Math.floor(s.ts / 1000) }).ok).toBe(false);
    expect(validateMessage('state', { ...s, ts: s.ts * 1000 }).ok).toBe(false);
    const { seq: _seq, ...noSeq } = s;
    expect(validateMessage('state', noSeq).ok).toBe(false);
    expect(validateMessage('state', { ...s, seq: -1 }).ok).toBe(false);
  });

  it('checks cut consistency (end after start, cutting share within total)', () => {
    const c = example('cut');
    expect(validateMessage('cut', { ...c, end: c.start - 1 }).ok).toBe(false);
    expect(validateMessage('cut', { ...c, cuttingEnergyKWh: c.energyKWh + 1 }).ok).toBe(false);
  });

  it('classifies raw payloads: not JSON, schema, topic', () => {
    expect(validateRaw('state', Buffer.from('{nope'))).toMatchObject({ ok: false, reason: 'not-json' });
    expect(validateRaw('state', Buffer.from('{"v":1}'))).toMatchObject({ ok: false, reason: 'schema' });
    expect(validateTopicPayload('a/b', '{}').result).toMatchObject({ ok: false, reason: 'topic' });
  });

  it('publishes JSON Schemas generated from the zod source, kept up to date in docs/schemas', () => {
    const dir = join(import.meta.dirname, '../../docs/schemas');
    const files = readdirSync(dir).sort();
    expect(files).toEqual(MESSAGE_KINDS.map((k) => `${k}.schema.json`).sort());
    for (const kind of MESSAGE_KINDS) {
      const onDisk = JSON.parse(readFileSync(join(dir, `${kind}.schema.json`), 'utf8'));
      expect(onDisk, `docs/schemas/${kind}.schema.json is stale: run npm run schemas`).toEqual(
        jsonSchemaOf(kind),
      );
    }
    const telemetry = jsonSchemaOf('telemetry') as {
      properties: { samples: { items: { properties: Record<string, unknown> } } };
    };
    expect(Object.keys(telemetry.properties.samples.items.properties)).toEqual([
      'ts',
      ...Object.keys(TELEMETRY_VARIABLES),
    ]);
  });

  it('validates message files like the CLI does (single, array, JSON lines, {topic,payload})', () => {
    const report = validateFile(join(examples, 'cut.json'));
    expect(report).toMatchObject({ valid: 1, invalid: [] });
  });
});

describe('docs/data-standard.md', () => {
  it('lists every telemetry variable with its unit and every message kind', () => {
    const doc = readFileSync(join(import.meta.dirname, '../../docs/data-standard.md'), 'utf8');
    for (const [name, spec] of Object.entries(TELEMETRY_VARIABLES)) {
      expect(doc, name).toContain(`| \`${name}\` | ${spec.unit} | ${spec.min} … ${spec.max} |`);
    }
    for (const kind of MESSAGE_KINDS) expect(doc, kind).toContain(`| \`${kind}\` |`);
  });
});
