import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compileRules, RULE_KINDS } from '../../services/analysis/rules/index.js';
import { DEFAULT_ROLES, ENV_MAP, loadConfig, ROLES } from '../../services/core/config.js';
import { isSawBrainError } from '../../services/core/errors.js';
import { loadSeeds, type RuleSeed } from '../../services/seeds/index.js';
import { seeds } from './fixtures.js';

describe('seeds/rules.json and seeds/fault-dictionary.json', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const edit = (file: string, fn: (json: Record<string, unknown>) => void) => {
    dir ??= mkdtempSync(join(tmpdir(), 'sawbrain-analysis-seeds-'));
    cpSync('seeds', dir, { recursive: true });
    const path = join(dir, file);
    const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    fn(json);
    writeFileSync(path, JSON.stringify(json));
    return dir;
  };
  const problems = (d: string) => {
    try {
      loadSeeds(d);
    } catch (err) {
      if (isSawBrainError(err, 'CONFIG_INVALID')) return err.message;
      throw err;
    }
    return '';
  };

  it('every rule compiles against its implementation, for its defaults and every model override', () => {
    const set = compileRules(seeds.rules, RULE_KINDS);
    expect(set.rules.length).toBe(seeds.rules.length);
    for (const r of set.rules)
      for (const model of [undefined, ...Object.keys(r.seed.models ?? {})])
        expect(r.paramsFor(model)).toBeDefined();
    for (const kind of [
      'threshold',
      'rate-of-change',
      'flatline',
      'missing-sensor',
      'machine-silent',
      'baseline-drift',
      'cut-drift',
      'wear-rate',
    ]) {
      expect(
        seeds.rules.some((r) => r.kind === kind),
        kind,
      ).toBe(true);
    }
  });

  it('reports a rule whose symptom no cause knows, and a symptom no rule reports', () => {
    const d = edit('rules.json', (j) => {
      const items = j.items as { id: string; symptom: string }[];
      items.find((r) => r.id === 'tension-drop')!.symptom = 'no-such-symptom';
      j.items = items.filter((r) => r.id !== 'machine-silent');
    });
    const msg = problems(d);
    expect(msg).toContain('rules.json tension-drop: symptom "no-such-symptom"');
    expect(msg).toContain('symptom telemetry-silent: no rule in rules.json reports it');
  });

  it('reports bad rule parameters with the rule and model named', () => {
    const items: RuleSeed[] = structuredClone([...seeds.rules]);
    items.find((r) => r.id === 'current-at-limit')!.models = { 'julihuang-gz42100': { forS: 'long' } };
    expect(() => compileRules(items, RULE_KINDS)).toThrow(/current-at-limit \(model julihuang-gz42100\)/);
  });
});

describe('config: the analysis role and its section', () => {
  it('adds the role (run by default, as the README documents) and reads the environment', () => {
    expect(ROLES).toContain('analysis');
    const all = ['broker', 'ingest', 'simulator', 'http', 'analysis', 'databases'];
    expect(DEFAULT_ROLES).toEqual(all);
    expect(loadConfig({}).roles).toEqual(all);
    const readme = readFileSync('README.md', 'utf8');
    expect(readme).toContain(`| \`SAWBRAIN_ROLES\` | \`${DEFAULT_ROLES.join(',')}\` |`);
    const c = loadConfig({
      SAWBRAIN_ROLES: 'broker,analysis',
      SAWBRAIN_ANALYSIS_PASSWORD: 'a-long-enough-secret',
      SAWBRAIN_ANALYSIS_FLOOD_PER_MACHINE: '3',
      SAWBRAIN_ANALYSIS_HISTORY: 'false',
    });
    expect(c.roles).toEqual(['broker', 'analysis']);
    expect(c.analysis).toMatchObject({
      password: 'a-long-enough-secret',
      floodPerMachine: 3,
      history: false,
      username: 'sawbrain-analysis',
    });
    expect(Object.keys(ENV_MAP).filter((k) => k.startsWith('SAWBRAIN_ANALYSIS_'))).toHaveLength(7);
    expect(loadConfig({}).analysis.transport).toBe('auto');
    expect(loadConfig({ SAWBRAIN_ANALYSIS_TRANSPORT: 'mqtt' }).analysis.transport).toBe('mqtt');
    expect(() => loadConfig({ SAWBRAIN_ANALYSIS_TRANSPORT: 'carrier-pigeon' })).toThrow(/analysis.transport/);
    expect(() => loadConfig({ SAWBRAIN_ANALYSIS_PASSWORD: 'short' })).toThrow(/analysis.password/);
  });
});
