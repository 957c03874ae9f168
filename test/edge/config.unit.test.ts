import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadGatewayConfig, parseGatewayConfig } from '../../edge/config.js';
import { AlarmTracker } from '../../edge/cuts/alarms.js';
import { deriveState, StateTracker } from '../../edge/cuts/state.js';
import { isSawBrainError } from '../../services/core/errors.js';

const example = () =>
  JSON.parse(readFileSync('edge/examples/gateway.json', 'utf8')) as Record<string, unknown>;

describe('gateway config', () => {
  it('accepts the example config with its defaults filled in', () => {
    const c = parseGatewayConfig(example());
    expect(c.controllers.map((x) => x.adapter.protocol)).toEqual(['modbus', 'opcua', 'simulator']);
    expect(c.uplink).toMatchObject({ maxInflight: 32, liveReserve: 8, backfillRatePerSec: 50 });
    expect(c.controllers[0]!.interlocks.feedOverrideMax).toBe(120);
    expect(c.controllers[0]!.cuts.confirmSamples).toBe(2);
  });

  it('reports every problem at once', () => {
    const bad = example();
    const controllers = bad.controllers as Record<string, unknown>[];
    controllers[1]!.machineId = controllers[0]!.machineId;
    (controllers[0]!.adapter as Record<string, unknown>).map = 'no-such-map';
    bad.tenant = 'Not A Slug';
    try {
      parseGatewayConfig(bad);
      expect.unreachable();
    } catch (err) {
      expect(isSawBrainError(err, 'CONFIG_INVALID')).toBe(true);
      const msg = (err as Error).message;
      expect(msg).toContain('tenant');
      expect(msg).toContain('unknown built-in map');
    }
    const dup = example();
    const dc = dup.controllers as Record<string, unknown>[];
    dc[1]!.machineId = dc[0]!.machineId;
    expect(() => parseGatewayConfig(dup)).toThrow(/machineId must be unique/);
  });

  it('reads the broker password from the environment or a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sawbrain-edge-config-'));
    try {
      const cfg = example();
      (cfg.broker as Record<string, unknown>).passwordFile = join(dir, 'pw');
      writeFileSync(join(dir, 'pw'), 'from-file-0123456789\n');
      writeFileSync(join(dir, 'gw.json'), JSON.stringify(cfg));
      expect(loadGatewayConfig(join(dir, 'gw.json'), {}).broker.password).toBe('from-file-0123456789');
      expect(loadGatewayConfig(join(dir, 'gw.json'), { SAWBRAIN_EDGE_PASSWORD: 'env' }).broker.password).toBe(
        'env',
      );
      expect(() => loadGatewayConfig(join(dir, 'missing.json'), {})).toThrow(/not found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('state derivation and alarm tracking', () => {
  const base = { reachable: true, status: {}, inCut: false, running: false };
  it('orders offline, critical alarm, controller mode, cutting, running, guard, idle', () => {
    expect(deriveState({ ...base, reachable: false }).state).toBe('offline');
    const alarm = { alarms: [{ code: '9', severity: 'critical' as const }], mode: 'running' as const };
    expect(deriveState({ ...base, status: alarm })).toEqual({ state: 'alarm', reason: 'alarm 9' });
    expect(deriveState({ ...base, status: { mode: 'blade-change' } }).state).toBe('blade-change');
    expect(deriveState({ ...base, inCut: true })).toEqual({ state: 'running', reason: 'cutting' });
    expect(deriveState({ ...base, running: true }).state).toBe('running');
    expect(deriveState({ ...base, status: { guardOpen: true } }).state).toBe('setup');
    expect(deriveState(base).state).toBe('idle');
    const t = new StateTracker();
    expect(t.next(deriveState(base))).not.toBeNull();
    expect(t.next(deriveState(base))).toBeNull();
  });

  it('turns active alarm sets into raised and cleared events', () => {
    const t = new AlarmTracker();
    expect(t.update(undefined)).toEqual([]);
    expect(t.update([{ code: 'A', severity: 'warning' }])).toEqual([
      { code: 'A', severity: 'warning', active: true },
    ]);
    expect(t.update([{ code: 'A', severity: 'warning' }])).toEqual([]);
    expect(t.update([])).toEqual([{ code: 'A', severity: 'warning', active: false }]);
  });
});
