import { describe, expect, it } from 'vitest';
import {
  canPublish,
  canSubscribe,
  canWill,
  LoginThrottle,
  type Rights,
  rightsOf,
} from '../../services/broker/index.js';
import { topicFor, UPLINK_KINDS } from '../../services/contracts/index.js';
import type { Principal } from '../../services/registry/index.js';

const limits = { maxTopicLevels: 8 };
const T1 = 'tenant-one';
const T2 = 'tenant-two';

const principals = {
  machineA: { kind: 'machine', username: 'A', machineId: 'A', tenant: T1 },
  gateway: { kind: 'gateway', username: 'gw', tenant: T1, machines: ['A', 'B'] },
  ingest: { kind: 'service', username: 'ingest', scopes: ['ingest'] },
  analysis: { kind: 'service', username: 'analysis', scopes: ['analysis'] },
  commander: { kind: 'service', username: 'cmd', scopes: ['commander'] },
  admin: { kind: 'service', username: 'admin', scopes: ['admin'] },
  none: { kind: 'service', username: 'none', scopes: [] },
} satisfies Record<string, Principal>;
type Who = keyof typeof principals;
const rights = Object.fromEntries(
  Object.entries(principals).map(([k, p]) => [k, rightsOf(p as Principal)]),
) as Record<Who, Rights>;

const pub = (who: Who, topic: string, retain = false) => canPublish(rights[who], topic, retain, limits);
const sub = (who: Who, filter: string) => canSubscribe(rights[who], filter, limits);
const deep = Array.from({ length: 9 }, (_, i) => `l${i}`).join('/');

describe('ACL: publish', () => {
  // [who, topic, retain, allowed]
  const table: [Who, string, boolean, boolean][] = [
    // machine A of T1
    ...UPLINK_KINDS.map((k): [Who, string, boolean, boolean] => [
      'machineA',
      topicFor(T1, 'A', k),
      false,
      true,
    ]),
    ['machineA', topicFor(T1, 'A', 'state'), true, true],
    ['machineA', topicFor(T1, 'A', 'birth'), true, true],
    ['machineA', topicFor(T1, 'A', 'telemetry'), true, false],
    ['machineA', topicFor(T1, 'A', 'cut'), true, false],
    ['machineA', topicFor(T1, 'A', 'command'), false, false],
    ['machineA', `sawbrain/v1/${T1}/A/warning`, false, false],
    ['machineA', `sawbrain/v1/${T1}/A/unknown`, false, false],
    ['machineA', topicFor(T1, 'B', 'telemetry'), false, false],
    ['machineA', topicFor(T2, 'A', 'telemetry'), false, false],
    ['machineA', topicFor(T2, 'C', 'telemetry'), false, false],
    ['machineA', `sawbrain/v1/${T1}/+/telemetry`, false, false],
    ['machineA', '#', false, false],
    ['machineA', '', false, false],
    ['machineA', '$SYS/foo', false, false],
    ['machineA', `sawbrain/v1/${T1}/A/telemetry/extra`, false, false],
    ['machineA', `sawbrain/v2/${T1}/A/telemetry`, false, false],
    ['machineA', `sawbrain/v1/${T1}/A/telemetry\u0000`, false, false],
    ['machineA', deep, false, false],
    // gateway for A and B
    ['gateway', topicFor(T1, 'A', 'cut'), false, true],
    ['gateway', topicFor(T1, 'B', 'cut'), false, true],
    ['gateway', topicFor(T1, 'C', 'cut'), false, false],
    ['gateway', topicFor(T2, 'A', 'cut'), false, false],
    ['gateway', topicFor(T1, 'A', 'command'), false, false],
    // services
    ['ingest', topicFor(T1, 'A', 'telemetry'), false, false],
    ['ingest', topicFor(T1, 'A', 'command'), false, false],
    ['analysis', `sawbrain/v1/${T1}/A/warning`, false, true],
    ['analysis', `sawbrain/v1/${T2}/Z/warning`, false, true],
    ['analysis', `sawbrain/v1/${T1}/A/warning`, true, false],
    ['analysis', topicFor(T1, 'A', 'telemetry'), false, false],
    ['commander', topicFor(T1, 'A', 'command'), false, true],
    ['commander', topicFor(T1, 'A', 'command'), true, false],
    ['commander', topicFor(T1, 'A', 'telemetry'), false, false],
    ['admin', topicFor(T1, 'A', 'telemetry'), false, true],
    ['admin', 'anything/at/all', false, true],
    ['admin', 'anything/at/all', true, false],
    ['admin', topicFor(T1, 'A', 'state'), true, true],
    ['admin', '$SYS/broker/x', false, false],
    ['admin', '#', false, false],
    ['admin', deep, false, false],
    ['none', topicFor(T1, 'A', 'telemetry'), false, false],
  ];
  it.each(table)('%s publish %j retain=%s → %s', (who, topic, retain, allowed) => {
    expect(pub(who, topic, retain).ok).toBe(allowed);
  });

  it('gives reasons', () => {
    expect(pub('machineA', '')).toEqual({ ok: false, reason: 'empty' });
    expect(pub('machineA', deep)).toEqual({ ok: false, reason: 'too-deep' });
    expect(pub('machineA', '#')).toEqual({ ok: false, reason: 'wildcard' });
    expect(pub('machineA', '$SYS/x')).toEqual({ ok: false, reason: 'reserved' });
    expect(pub('machineA', topicFor(T1, 'B', 'cut'))).toEqual({ ok: false, reason: 'foreign' });
    expect(pub('machineA', topicFor(T1, 'A', 'command'))).toEqual({ ok: false, reason: 'kind' });
    expect(pub('machineA', topicFor(T1, 'A', 'cut'), true)).toEqual({ ok: false, reason: 'retain' });
    expect(pub('machineA', 'foo/bar')).toEqual({ ok: false, reason: 'not-standard' });
  });
});

describe('ACL: subscribe', () => {
  const table: [Who, string, boolean][] = [
    ['machineA', topicFor(T1, 'A', 'command'), true],
    ['machineA', topicFor(T1, 'A', 'telemetry'), false],
    ['machineA', topicFor(T1, 'B', 'command'), false],
    ['machineA', topicFor(T2, 'A', 'command'), false],
    ['machineA', `sawbrain/v1/${T1}/A/+`, false],
    ['machineA', `sawbrain/v1/${T1}/A/#`, false],
    ['machineA', `sawbrain/v1/${T1}/+/command`, false],
    ['machineA', `sawbrain/v1/+/+/command`, false],
    ['machineA', '#', false],
    ['machineA', '+', false],
    ['machineA', '+/+/+/+/+', false],
    ['machineA', '$SYS/#', false],
    ['machineA', '', false],
    ['machineA', deep, false],
    ['gateway', topicFor(T1, 'A', 'command'), true],
    ['gateway', topicFor(T1, 'B', 'command'), true],
    ['gateway', topicFor(T1, 'C', 'command'), false],
    ['gateway', `sawbrain/v1/${T1}/+/command`, false],
    ['ingest', 'sawbrain/v1/+/+/telemetry', true],
    ['ingest', 'sawbrain/v1/+/+/#', true],
    ['ingest', 'sawbrain/v1/+/+/+', true],
    ['ingest', `sawbrain/v1/${T1}/+/cut`, true],
    ['ingest', topicFor(T2, 'C', 'alarm'), true],
    ['ingest', 'sawbrain/v1/+/+/bogus', false],
    ['ingest', 'sawbrain/v1/#', false],
    ['ingest', 'sawbrain/+/+/+/cut', false],
    ['ingest', '+/v1/+/+/cut', false],
    ['ingest', '#', false],
    ['ingest', '$SYS/#', false],
    ['ingest', 'sawbrain/v1/+/+/cut/#', false],
    ['ingest', 'sawbrain/v1/+/+/c#', false],
    ['ingest', 'sawbrain/v1/#/+/cut', false],
    ['analysis', 'sawbrain/v1/+/+/cut', true],
    ['analysis', 'sawbrain/v1/+/+/command-ack', true],
    ['analysis', 'sawbrain/v1/+/+/command', false],
    ['analysis', 'sawbrain/v1/+/+/#', false],
    ['commander', 'sawbrain/v1/+/+/command-ack', true],
    ['commander', 'sawbrain/v1/+/+/telemetry', false],
    ['admin', '#', true],
    ['admin', '$SYS/#', true],
    ['admin', deep, false],
    ['none', 'sawbrain/v1/+/+/cut', false],
  ];
  it.each(table)('%s subscribe %j → %s', (who, filter, allowed) => {
    expect(sub(who, filter).ok).toBe(allowed);
  });
});

describe('ACL: will', () => {
  it('machines may only leave a will on their own state topic', () => {
    const r = rights.machineA;
    expect(canWill(r, topicFor(T1, 'A', 'state'), true, limits).ok).toBe(true);
    expect(canWill(r, topicFor(T1, 'A', 'state'), false, limits).ok).toBe(true);
    expect(canWill(r, topicFor(T1, 'A', 'alarm'), false, limits)).toEqual({ ok: false, reason: 'will' });
    expect(canWill(r, topicFor(T1, 'B', 'state'), true, limits).ok).toBe(false);
    expect(canWill(r, topicFor(T2, 'A', 'state'), true, limits).ok).toBe(false);
    expect(canWill(r, '$SYS/x', false, limits).ok).toBe(false);
    expect(canWill(rights.gateway, topicFor(T1, 'B', 'state'), true, limits).ok).toBe(true);
    expect(canWill(rights.ingest, topicFor(T1, 'A', 'state'), true, limits).ok).toBe(false);
    expect(canWill(rights.admin, 'svc/admin/status', false, limits).ok).toBe(true);
  });
});

describe('login throttle', () => {
  it('locks a username after N failures, refuses until the lockout ends', () => {
    let now = 0;
    const t = new LoginThrottle(
      { maxPerAddress: 100, maxPerUsername: 3, windowMs: 10_000, lockoutMs: 5_000 },
      () => now,
    );
    expect(t.fail('1.1.1.1', 'A')).toEqual([]);
    expect(t.fail('1.1.1.1', 'A')).toEqual([]);
    expect(t.fail('2.2.2.2', 'A')).toEqual(['username']);
    expect(t.lockedBy('3.3.3.3', 'A')).toBe('username');
    expect(t.lockedBy('3.3.3.3', 'B')).toBeNull();
    now += 4_999;
    expect(t.lockedBy('3.3.3.3', 'A')).toBe('username');
    now += 1;
    expect(t.lockedBy('3.3.3.3', 'A')).toBeNull();
  });

  it('locks an address across usernames; a window expiry forgives; success clears the username', () => {
    let now = 0;
    const t = new LoginThrottle(
      { maxPerAddress: 3, maxPerUsername: 3, windowMs: 1_000, lockoutMs: 5_000 },
      () => now,
    );
    t.fail('1.1.1.1', 'a');
    t.fail('1.1.1.1', 'b');
    now = 1_500; // window expired
    t.fail('1.1.1.1', 'c');
    t.fail('1.1.1.1', 'd');
    expect(t.lockedBy('1.1.1.1', 'x')).toBeNull();
    expect(t.fail('1.1.1.1', undefined)).toEqual(['address']);
    expect(t.lockedBy('1.1.1.1', 'x')).toBe('address');
    t.fail('9.9.9.9', 'u');
    t.fail('9.9.9.9', 'u');
    t.succeed('u');
    expect(t.fail('8.8.8.8', 'u')).toEqual([]);
  });

  it('bounds its memory', () => {
    const t = new LoginThrottle(
      { maxPerAddress: 5, maxPerUsername: 5, windowMs: 1_000, lockoutMs: 1_000 },
      Date.now,
      100,
    );
    for (let i = 0; i < 1_000; i++) t.fail(`10.0.${i >> 8}.${i & 255}`, `user${i}`);
    expect(t.size).toBeLessThanOrEqual(100);
  });
});
