import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiRole } from '../../services/registry/index.js';
import { seeds } from '../analysis/fixtures.js';
import { waitFor } from '../helpers/ports.js';
import type { TestSystem } from '../helpers/system.js';
import {
  ADMIN_KEY,
  addMachines,
  bootApi,
  call,
  type Device,
  device,
  type FleetMachine,
  key,
  T0,
} from './helpers.js';

// biome-ignore lint/suspicious/noExplicitAny: API answers and the OpenAPI document are walked as plain JSON
type Json = any;

/**
 * The generated access matrix: every operation of the OpenAPI document × every kind of key ×
 * own / foreign objects. Two manufacturers (A = chenlong, B = julihuang) have saws in three
 * plants; each key sees its own side. Checked:
 *   - a foreign id (path parameter or filter) is answered 403 or 404, never 2xx, never 5xx;
 *   - a 2xx answer to a scoped key contains no identifier of the other side;
 *   - an innovation key's 2xx answers contain no machine id, serial, plant or manufacturer
 *     name/slug, and every map bucket aggregates ≥ 5 machines;
 *   - writes refused on foreign objects left those objects unchanged.
 */
const A = 'chenlong';
const B = 'julihuang';
const P1 = 'ningbo-autoparts';
const P2 = 'kunshan-mould';
const P3 = 'dongguan-mould';

type Variant = 'own' | 'foreign';
interface Principal {
  name: string;
  role: ApiRole;
  key: string;
  side: 'A' | 'B' | null;
}
interface Row {
  principal: string;
  method: string;
  path: string;
  variant: Variant;
  url: string;
  status: number;
}

function specs() {
  const m = (id: string, tenant: string, plant: string, site: string, region: string, industry: string) => ({
    machineId: id,
    tenant,
    plant,
    site,
    region,
    industry,
    model: tenant === A ? 'chenlong-gz4235' : 'julihuang-gz42100',
  });
  return [
    ...[1, 2, 3, 4, 5, 6].map((i) =>
      m(`A-P1-${i}`, A, P1, i <= 3 ? 'hall-1' : 'hall-2', 'cn-zhejiang', 'automotive-parts'),
    ),
    ...[1, 2].map((i) => m(`A-P3-${i}`, A, P3, 'hall-1', 'cn-guangdong', 'mould-die')),
    ...[1, 2, 3, 4, 5, 6].map((i) => m(`B-P2-${i}`, B, P2, 'hall-1', 'cn-jiangsu', 'mould-die')),
    m('A-SPARE-1', A, P1, 'hall-2', 'cn-zhejiang', 'automotive-parts'),
    m('A-SPARE-2', A, P1, 'hall-2', 'cn-zhejiang', 'automotive-parts'),
    m('B-SPARE-1', B, P2, 'hall-1', 'cn-jiangsu', 'mould-die'),
    m('B-SPARE-2', B, P2, 'hall-1', 'cn-jiangsu', 'mould-die'),
  ];
}

describe('route × role × own/foreign access matrix', () => {
  let t: TestSystem;
  let fleet: FleetMachine[];
  const devices: Device[] = [];
  const principals: Principal[] = [];
  const warnings: Record<'A' | 'B', string> = { A: '', B: '' };
  const commands: Record<'A' | 'B', string> = { A: '', B: '' };
  let spareKeyIds: string[] = [];
  const rows: Row[] = [];
  let doc: { paths: Record<string, Record<string, Json>> };

  beforeAll(async () => {
    t = await bootApi();
    fleet = await addMachines(t.sys, specs());
    const sys = t.sys;
    principals.push(
      { name: 'admin', role: 'admin', key: ADMIN_KEY, side: null },
      {
        name: 'manufacturer-A',
        role: 'manufacturer',
        key: key(sys, 'manufacturer', { tenant: A }),
        side: 'A',
      },
      {
        name: 'manufacturer-B',
        role: 'manufacturer',
        key: key(sys, 'manufacturer', { tenant: B }),
        side: 'B',
      },
      { name: 'plant-P1', role: 'plant', key: key(sys, 'plant', { plant: P1 }), side: 'A' },
      { name: 'plant-P2', role: 'plant', key: key(sys, 'plant', { plant: P2 }), side: 'B' },
      { name: 'innovation', role: 'innovation', key: key(sys, 'innovation'), side: null },
    );
    spareKeyIds = [1, 2, 3, 4, 5, 6, 7, 8].map(
      (i) => sys.api!.keys.create({ role: 'innovation', label: `spare ${i}` }).keyId,
    );
    // a warning on one machine of each side, raised by the analysis from real MQTT telemetry
    for (const id of ['A-P1-1', 'B-P2-1']) {
      const d = await device(t.mqttUrl, fleet.find((m) => m.machineId === id)!);
      devices.push(d);
      await d.overload(T0 + 1000);
    }
    const an = sys.analysis!;
    warnings.A = (await waitFor(() => an.list({ machine: 'A-P1-1', open: true })[0], 20_000)).warningId;
    warnings.B = (await waitFor(() => an.list({ machine: 'B-P2-1', open: true })[0], 20_000)).warningId;
    // a command to each side (nobody answers; it expires after the matrix)
    for (const side of ['A', 'B'] as const) {
      const res = await call(
        sys,
        ADMIN_KEY,
        'POST',
        `/api/v1/machines/${side}-${side === 'A' ? 'P1' : 'P2'}-2/commands`,
        {
          type: 'request-snapshot',
          idempotencyKey: `matrix-setup-${side}`,
          ttlMs: 600_000,
        },
      );
      expect(res.status).toBe(201);
      commands[side] = res.json.commands[0].commandId;
    }
    doc = (await call(sys, null, 'GET', '/api/v1/openapi.json')).json;
  }, 60_000);

  afterAll(async () => {
    for (const d of devices) await d.close();
    await t?.close();
  });

  /** Identifiers of one side of the fleet (and its names in seeds/). */
  function identifiers(side: 'A' | 'B'): string[] {
    const tenant = side === 'A' ? A : B;
    const ms = fleet.filter((m) => m.tenant === tenant);
    const plants = side === 'A' ? [P1, P3] : [P2];
    return [
      tenant,
      seeds.lookup.tenant.get(tenant)!.name,
      ...plants,
      ...plants.map((p) => seeds.lookup.plant.get(p)!.name),
      ...ms.flatMap((m) => [m.machineId, m.serial]),
      warnings[side],
      commands[side],
    ];
  }
  const allIdentifiers = () => [...identifiers('A'), ...identifiers('B'), 'SER-'];

  let counter = 0;
  /** Path parameters, query filters and body of one request. */
  function build(p: Principal, method: string, path: string, variant: Variant, op: Json) {
    const mine = p.side ?? 'A';
    const side: 'A' | 'B' = variant === 'own' ? mine : mine === 'A' ? 'B' : 'A';
    const destructive = /credentials$/.test(path) || method === 'DELETE';
    const spareIndex = counter++ % 2;
    const values: Record<string, string> = {
      machineId: destructive ? `${side}-SPARE-${spareIndex + 1}` : side === 'A' ? 'A-P1-1' : 'B-P2-1',
      warningId: warnings[side],
      commandId: commands[side],
      plantId: side === 'A' ? P1 : P2,
      line: 'hall-1',
      keyId: spareKeyIds[counter % spareKeyIds.length]!,
      ruleId: 'controller-overload',
    };
    let url = path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(values[name] ?? 'x'));
    const params: string[] = (op.parameters ?? [])
      .filter((x: Json) => x.in === 'query')
      .map((x: Json) => x.name);
    const query: string[] = [];
    if (variant === 'foreign' && !/\{/.test(path)) {
      // no id in the path: name the other side in the filters the operation has
      if (params.includes('machineId')) query.push(`machineId=${side === 'A' ? 'A-P1-1' : 'B-P2-1'}`);
      if (params.includes('tenant')) query.push(`tenant=${side === 'A' ? A : B}`);
      if (params.includes('plant')) query.push(`plant=${side === 'A' ? P1 : P2}`);
    }
    if (query.length) url += `?${query.join('&')}`;
    const content = op.requestBody?.content?.['application/json'];
    let body = content?.example ?? content?.schema?.examples?.[0];
    if (path.includes('{ruleId}') && method === 'PATCH') {
      const model = side === 'A' ? 'chenlong-gz4235' : 'julihuang-gz42100';
      body = { models: { [model]: { codes: ['MOTOR_OVERLOAD', `X${counter}`] } }, note: 'matrix' };
    }
    if (body && path === '/api/v1/machines' && method === 'POST')
      body = {
        ...body,
        machineId: `NEW-${counter}`,
        tenant: side === 'A' ? A : B,
        plant: side === 'A' ? P1 : P2,
        model: side === 'A' ? 'chenlong-gz4235' : 'julihuang-gz42100',
      };
    if (body?.idempotencyKey) body = { ...body, idempotencyKey: `matrix-${counter}` };
    if (body && path.includes('/shelve')) body = { durationMs: 3_600_000, note: 'matrix' };
    // rules are shared by everyone; only their per-model overrides belong to a side
    const shared = path.includes('{ruleId}') && method === 'GET';
    return { url, body, hasTarget: !shared && (/\{/.test(path) || query.length > 0) };
  }

  it('runs every operation for every key on own and foreign objects', async () => {
    const ops: { method: string; path: string; op: Json }[] = [];
    for (const [path, methods] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(methods))
        if (op.security?.some((s: Json) => 'bearer' in s))
          ops.push({ method: method.toUpperCase(), path, op });
    expect(ops.length).toBeGreaterThan(35);

    const leaks: string[] = [];
    for (const p of principals) {
      for (const { method, path, op } of ops) {
        for (const variant of ['own', 'foreign'] as const) {
          // an allowed stream stays open: its own side is tested over a socket in warnings-stream
          if (path === '/api/v1/stream' && variant === 'own' && p.role !== 'innovation') continue;
          if (p.role === 'admin' && variant === 'foreign') continue; // admin has no foreign side
          const { url, body, hasTarget } = build(p, method, path, variant, op);
          if (variant === 'foreign' && !hasTarget) continue; // no id to name: covered by the body scan below
          const res = await call(t.sys, p.key, method, url, body);
          rows.push({ principal: p.name, method, path, variant, url, status: res.status });
          if (res.status >= 500 && res.status !== 503)
            leaks.push(`${p.name} ${method} ${url}: ${res.status} ${res.text}`);
          if (variant === 'foreign' && res.status < 400)
            leaks.push(`${p.name} ${method} ${url}: ${res.status} on a foreign object`);
          if (res.status < 300 && p.role !== 'admin') {
            const forbiddenIds =
              p.role === 'innovation' ? allIdentifiers() : identifiers(p.side === 'A' ? 'B' : 'A');
            for (const id of forbiddenIds)
              if (res.text.includes(id)) leaks.push(`${p.name} ${method} ${url}: response contains "${id}"`);
          }
          if (p.role === 'innovation' && res.status < 300 && path === '/api/v1/map')
            for (const n of res.json.nodes)
              if (n.machines < 5) leaks.push(`innovation map bucket ${n.id} has ${n.machines}`);
        }
      }
    }
    const total = rows.length;
    const foreign = rows.filter((r) => r.variant === 'foreign');
    const summary = {
      operations: ops.length,
      requests: total,
      foreign: foreign.length,
      foreign2xx: foreign.filter((r) => r.status < 300).length,
      foreignStatuses: [...new Set(foreign.map((r) => r.status))].sort(),
      byStatus: Object.fromEntries(
        [...new Set(rows.map((r) => r.status))]
          .sort()
          .map((s) => [s, rows.filter((r) => r.status === s).length]),
      ),
    };
    process.stdout.write(`access matrix: ${JSON.stringify(summary)}\n`);
    if (process.env.MATRIX_DEBUG)
      for (const r of rows.filter(
        (x) => x.status === 400 || x.status >= 500 || (x.variant === 'foreign' && x.status < 400),
      ))
        process.stdout.write(`  ${r.principal} ${r.variant} ${r.method} ${r.url} → ${r.status}\n`);
    expect(leaks).toEqual([]);
    expect(summary.foreign2xx).toBe(0);
    expect(foreign.every((r) => r.status === 403 || r.status === 404 || r.status === 503)).toBe(true);
    // the matrix really exercised the allowed paths too
    expect(rows.filter((r) => r.variant === 'own' && r.status < 300).length).toBeGreaterThan(100);
  }, 180_000);

  it('refused foreign writes left the other side untouched', async () => {
    const an = t.sys.analysis!;
    // admin's own-variant writes touched side A only (admin runs as A); B's warning was only
    // touched by B's own keys: every write on it in the audit comes from a B-side or admin key
    const bKeys = new Set(
      principals.filter((p) => p.side !== 'A').map((p) => t.sys.api!.keys.verify(p.key)!.keyId),
    );
    const onB = t.sys.api!.audit.list({
      targetKind: 'warning',
      targetId: warnings.B,
      limit: 1000,
      offset: 0,
    });
    for (const e of onB.items) expect(bKeys.has(e.actor)).toBe(true);
    const onA = t.sys.api!.audit.list({
      targetKind: 'warning',
      targetId: warnings.A,
      limit: 1000,
      offset: 0,
    });
    for (const e of onA.items)
      expect(
        ['manufacturer-B', 'plant-P2']
          .map((n) => principals.find((p) => p.name === n)!.key)
          .map((k) => t.sys.api!.keys.verify(k)!.keyId),
      ).not.toContain(e.actor);
    // commands: none created for a machine of the other side
    const cmds = t.sys.api!.commands!.list({ limit: 1000, offset: 0 }).items;
    for (const c of cmds) {
      const issuer = principals.find((p) => t.sys.api!.keys.verify(p.key)?.keyId === c.issuedBy)!;
      if (issuer.side === 'A') expect(c.tenant === A || c.plant === P1).toBe(true);
      if (issuer.side === 'B') expect(c.tenant === B || c.plant === P2).toBe(true);
    }
    // machines: no revocation or rotation crossed sides
    const revoked = t.sys
      .registry!.list()
      .filter((m) => m.revokedAt !== null)
      .map((m) => m.machineId);
    expect(revoked.every((id) => id.includes('SPARE'))).toBe(true);
    expect(an.get(warnings.B)).toBeTruthy();
  });
});
