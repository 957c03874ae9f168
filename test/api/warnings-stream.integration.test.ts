import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/ports.js';
import type { TestSystem } from '../helpers/system.js';
import { addMachines, bootApi, call, type Device, device, type FleetMachine, key, T0 } from './helpers.js';

/**
 * Warnings raised by the analysis from real MQTT telemetry, handled through the API (list,
 * acknowledge, shelve, unshelve, feedback, audit), and the live SSE stream over a real socket,
 * scoped like everything else.
 */
interface SseEvent {
  event: string;
  data: { kind: string; machineId: string; tenant: string; data: Record<string, unknown> };
}

/** Opens /api/v1/stream with fetch and collects its events until closed. */
async function openStream(base: string, apiKey: string) {
  const ctrl = new AbortController();
  const res = await fetch(`${base}/api/v1/stream`, {
    headers: { authorization: `Bearer ${apiKey}` },
    signal: ctrl.signal,
  });
  const events: SseEvent[] = [];
  const done = (async () => {
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let buf = '';
    try {
      for (;;) {
        const { value, done: end } = await reader.read();
        if (end) break;
        buf += dec.decode(value, { stream: true });
        let i = buf.indexOf('\n\n');
        while (i >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const ev = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (ev && data) events.push({ event: ev, data: JSON.parse(data) });
          i = buf.indexOf('\n\n');
        }
      }
    } catch {
      // aborted
    }
  })();
  return {
    res,
    events,
    done,
    close: async () => {
      ctrl.abort();
      await done;
    },
  };
}

describe('warnings and the live stream', () => {
  let t: TestSystem;
  let fleet: FleetMachine[];
  const devices: Record<string, Device> = {};
  let plantKey: string;
  let otherKey: string;
  let base: string;

  beforeAll(async () => {
    t = await bootApi({ api: { streamKeepaliveMs: 300 } });
    base = t.sys.urls.http!.replace('localhost', '127.0.0.1');
    const spec = (machineId: string, tenant: string, plant: string) => ({
      machineId,
      tenant,
      plant,
      site: 'hall-1',
      region: 'cn-zhejiang',
      industry: 'automotive-parts',
      model: 'chenlong-gz4235',
    });
    fleet = await addMachines(t.sys, [
      spec('CL-W-1', 'chenlong', 'ningbo-autoparts'),
      spec('JL-W-1', 'julihuang', 'kunshan-mould'),
    ]);
    plantKey = key(t.sys, 'plant', { plant: 'ningbo-autoparts' }, 'Ningbo shift lead');
    otherKey = key(t.sys, 'manufacturer', { tenant: 'julihuang' }, 'Julihuang service');
  });
  afterAll(async () => {
    for (const d of Object.values(devices)) await d.close();
    await t?.close();
  });

  it('streams states and warnings of the key’s machines only, and handles the warning lifecycle', async () => {
    const mine = await openStream(base, plantKey);
    const theirs = await openStream(base, otherKey);
    expect(mine.res.headers.get('content-type')).toContain('text/event-stream');
    for (const m of fleet) devices[m.machineId] = await device(t.mqttUrl, m);
    for (const d of Object.values(devices)) await d.overload(T0 + 1000);

    // warnings raised for both machines; each stream sees only its own
    await waitFor(
      () => mine.events.some((e) => e.event === 'warning' && e.data.machineId === 'CL-W-1'),
      20_000,
    );
    await waitFor(
      () => theirs.events.some((e) => e.event === 'warning' && e.data.machineId === 'JL-W-1'),
      20_000,
    );
    expect(mine.events.some((e) => e.event === 'state' && e.data.machineId === 'CL-W-1')).toBe(true);
    expect(mine.events.filter((e) => e.data.machineId !== 'CL-W-1')).toEqual([]);
    expect(theirs.events.filter((e) => e.data.machineId !== 'JL-W-1')).toEqual([]);

    // list: only its own warnings
    const list = await call(t.sys, plantKey, 'GET', '/api/v1/warnings?open=true');
    expect(list.status).toBe(200);
    expect(list.json.items.map((w: { machineId: string }) => w.machineId)).toEqual(['CL-W-1']);
    const w = list.json.items[0] as { warningId: string; causes: unknown[] };
    expect(w.causes.length).toBeGreaterThan(0);
    const diag = await call(t.sys, plantKey, 'GET', '/api/v1/machines/CL-W-1/diagnoses');
    expect(diag.json.items[0].warningId).toBe(w.warningId);

    // acknowledge → published → back on the stream
    const ack = await call(t.sys, plantKey, 'POST', `/api/v1/warnings/${w.warningId}/ack`, {
      note: 'checking the feed',
    });
    expect(ack.status).toBe(200);
    expect(ack.json).toMatchObject({ acked: true, state: 'acknowledged' });
    expect(ack.json.ackedBy).toContain('Ningbo shift lead');
    await waitFor(
      () => mine.events.some((e) => e.event === 'warning' && e.data.data.state === 'acknowledged'),
      10_000,
    );

    // shelve (audited with its reason), unshelve
    const shelve = await call(t.sys, plantKey, 'POST', `/api/v1/warnings/${w.warningId}/shelve`, {
      durationMs: 3_600_000,
      note: 'feed sensor replaced this shift',
    });
    expect(shelve.status).toBe(200);
    expect(shelve.json.state).toBe('shelved');
    expect(
      (await call(t.sys, plantKey, 'POST', `/api/v1/warnings/${w.warningId}/unshelve`)).json.state,
    ).not.toBe('shelved');
    // a shelve needs a reason
    expect(
      (await call(t.sys, plantKey, 'POST', `/api/v1/warnings/${w.warningId}/shelve`, { durationMs: 60_000 }))
        .status,
    ).toBe(400);

    // feedback → measured per rule version
    const fb = await call(t.sys, plantKey, 'POST', `/api/v1/warnings/${w.warningId}/feedback`, {
      verdict: 'confirmed',
    });
    expect(fb.status).toBe(201);
    const quality = await call(t.sys, plantKey, 'GET', '/api/v1/algorithms/quality');
    expect(quality.json.items.some((q: { confirmed: number }) => q.confirmed === 1)).toBe(true);

    const audit = await call(
      t.sys,
      plantKey,
      'GET',
      `/api/v1/audit?targetKind=warning&targetId=${w.warningId}`,
    );
    const actions = audit.json.items.map(
      (e: { action: string; outcome: string }) => `${e.action}:${e.outcome}`,
    );
    expect(actions.sort()).toEqual(
      ['warning.ack:ok', 'warning.feedback:ok', 'warning.shelve:ok', 'warning.unshelve:ok'].sort(),
    );
    const shelveEntry = audit.json.items.find((e: { action: string }) => e.action === 'warning.shelve');
    expect(shelveEntry).toMatchObject({
      actorLabel: 'Ningbo shift lead',
      role: 'plant',
      plant: 'ningbo-autoparts',
    });
    expect(shelveEntry.details.note).toBe('feed sensor replaced this shift');
    // the other tenant neither sees this audit trail nor the warning
    expect((await call(t.sys, otherKey, 'GET', `/api/v1/warnings/${w.warningId}`)).status).toBe(403);
    expect((await call(t.sys, otherKey, 'GET', '/api/v1/audit')).text).not.toContain(w.warningId);

    // the algorithms database's lifecycle events, scoped: the raise and the operator's steps
    const events = await waitFor(async () => {
      const r = await call(t.sys, plantKey, 'GET', `/api/v1/warnings/events?from=0`);
      const actions = r.json.items
        .filter((e: { warningId: string }) => e.warningId === w.warningId)
        .map((e: { action: string }) => e.action);
      return ['raise', 'ack', 'shelve', 'unshelve'].every((a) => actions.includes(a)) ? r.json : null;
    }, 10_000);
    expect(events.items.every((e: { machineId: string }) => e.machineId === 'CL-W-1')).toBe(true);
    const theirEvents = await call(t.sys, otherKey, 'GET', '/api/v1/warnings/events?from=0');
    expect(theirEvents.json.items.every((e: { machineId: string }) => e.machineId === 'JL-W-1')).toBe(true);
    expect(theirEvents.json.items.length).toBeGreaterThan(0);

    await mine.close();
    await theirs.close();
    expect(t.sys.api!.app.server.listening).toBe(true);
  }, 60_000);

  it('cuts off the stream of a revoked key at the next keep-alive', async () => {
    const created = t.sys.api!.keys.create({
      role: 'plant',
      plant: 'ningbo-autoparts',
      label: 'soon revoked',
    });
    const s = await openStream(base, created.key);
    expect(s.res.status).toBe(200);
    const ended = s.done.then(() => Date.now());
    const t0 = Date.now();
    t.sys.api!.keys.revoke(created.keyId);
    const at = await ended;
    expect(at - t0).toBeLessThan(2000);
  });

  it('refuses the stream to the innovation tier and to foreign machine filters', async () => {
    const inno = await fetch(`${base}/api/v1/stream`, {
      headers: { authorization: `Bearer ${key(t.sys, 'innovation')}` },
    });
    expect(inno.status).toBe(403);
    const foreign = await fetch(`${base}/api/v1/stream?machineId=JL-W-1`, {
      headers: { authorization: `Bearer ${plantKey}` },
    });
    expect(foreign.status).toBe(403);
  });
});
