import { describe, expect, it } from 'vitest';
import type { WriteTarget } from '../../edge/adapters/types.js';
import { checkCommand } from '../../edge/commands/interlocks.js';
import { InterlockConfig } from '../../edge/config.js';
import type { LiveState } from '../../edge/controller.js';
import { Command } from '../../services/contracts/index.js';

const NOW = Date.UTC(2026, 5, 1, 8, 0, 0);
const ALL: WriteTarget[] = ['feedOverride', 'bladeSpeedSetpoint', 'feedHold', 'stopAfterCut', 'alarmReset'];
const ctx = { machineId: 'M1', now: NOW, cfg: InterlockConfig.parse({}), staleMs: 5000, writable: ALL };
const live = (o: Partial<LiveState> = {}): LiveState => ({
  reachable: true,
  readAt: NOW - 100,
  status: { guardOpen: false, alarms: [] },
  inCut: false,
  running: true,
  ...o,
});
const cmd = (type: string, extra: Record<string, unknown> = {}) =>
  Command.parse({
    v: 1,
    ts: NOW,
    bootId: 'b',
    seq: 0,
    commandId: 'c1',
    type,
    expiresAt: NOW + 10_000,
    ...extra,
  });

describe('command interlocks', () => {
  it('passes safe commands with the write they need', () => {
    expect(checkCommand(cmd('feed-override', { params: { percent: 85 } }), live(), ctx)).toEqual({
      ok: true,
      write: { target: 'feedOverride', value: 85 },
    });
    expect(checkCommand(cmd('pause-feed'), live({ inCut: true, status: { guardOpen: true } }), ctx)).toEqual({
      ok: true,
      write: { target: 'feedHold', value: 1 },
    });
    expect(checkCommand(cmd('request-snapshot'), live(), ctx)).toEqual({ ok: true, write: null });
  });

  it('rejects expired, misaddressed and blind commands', () => {
    expect(checkCommand(cmd('pause-feed', { expiresAt: NOW }), live(), ctx)).toMatchObject({ ok: false });
    expect(checkCommand(cmd('pause-feed', { machineId: 'M2' }), live(), ctx)).toEqual({
      ok: false,
      reason: 'addressed to M2, not M1',
    });
    expect(checkCommand(cmd('pause-feed'), live({ reachable: false }), ctx)).toEqual({
      ok: false,
      reason: 'controller unreachable: state unknown',
    });
    expect(checkCommand(cmd('pause-feed'), live({ readAt: NOW - 60_000 }), ctx)).toEqual({
      ok: false,
      reason: 'controller state is 60000 ms old',
    });
  });

  it('keeps the feed override within 0–120 %', () => {
    expect(checkCommand(cmd('feed-override', { params: { percent: 121 } }), live(), ctx)).toEqual({
      ok: false,
      reason: 'feed override 121 % outside 0–120 %',
    });
    expect(checkCommand(cmd('feed-override', { params: { percent: 120 } }), live(), ctx).ok).toBe(true);
    expect(checkCommand(cmd('feed-override', { params: { percent: 0 } }), live(), ctx).ok).toBe(true);
    expect(checkCommand(cmd('feed-override'), live(), ctx)).toEqual({
      ok: false,
      reason: 'feed-override needs params.percent',
    });
  });

  it('does not change the blade speed mid-cut', () => {
    const c = cmd('blade-speed-setpoint', { params: { bladeSpeed: 70 } });
    expect(checkCommand(c, live({ inCut: true }), ctx)).toEqual({
      ok: false,
      reason: 'blade speed change refused mid-cut',
    });
    expect(checkCommand(c, live(), ctx).ok).toBe(true);
    const limited = { ...ctx, cfg: InterlockConfig.parse({ bladeSpeedMax: 60 }) };
    expect(checkCommand(c, live(), limited)).toEqual({
      ok: false,
      reason: 'blade speed 70 m/min outside 0–60 m/min',
    });
  });

  it('never resumes with the guard open or a critical alarm active', () => {
    expect(checkCommand(cmd('resume-feed'), live({ status: { guardOpen: true } }), ctx)).toEqual({
      ok: false,
      reason: 'guard open',
    });
    const alarm = live({ status: { guardOpen: false, alarms: [{ code: 'E7', severity: 'critical' }] } });
    expect(checkCommand(cmd('resume-feed'), alarm, ctx)).toEqual({
      ok: false,
      reason: 'critical alarm E7 active',
    });
    const warning = live({ status: { guardOpen: false, alarms: [{ code: 'W1', severity: 'warning' }] } });
    expect(checkCommand(cmd('resume-feed'), warning, ctx).ok).toBe(true);
    expect(checkCommand(cmd('reset-alarm'), live({ status: { guardOpen: true } }), ctx)).toEqual({
      ok: false,
      reason: 'guard open',
    });
    expect(checkCommand(cmd('reset-alarm'), alarm, ctx).ok).toBe(true);
  });

  it('rejects what the controller map cannot write', () => {
    expect(checkCommand(cmd('stop-after-cut'), live(), { ...ctx, writable: ['feedOverride'] })).toEqual({
      ok: false,
      reason: 'controller map has no stopAfterCut target',
    });
  });
});
