import { connectAsync, type MqttClient } from 'mqtt';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalysisService } from '../../services/analysis/index.js';
import { ensureServicePassword } from '../../services/app/provision.js';
import { type Sample, TELEMETRY_VARIABLE_NAMES, topicFor, Warning } from '../../services/contracts/index.js';
import { silentLogger } from '../../services/core/logger.js';
import { waitFor } from '../helpers/ports.js';
import { bootSystem, provisionMachine, type TestSystem } from '../helpers/system.js';
import { cuttingSample, seeds, T0 } from './fixtures.js';

/**
 * The analysis service on the live stream, over both transports: a machine publishes over MQTT
 * with its own credentials, the service — in-process on the broker (`auto`) or as a separate
 * client with its own `analysis` account and a persistent QoS 1 session (`mqtt`) — raises a
 * warning, publishes it into the machine's namespace, keeps the lifecycle in SQLite and the
 * history in the algorithms database; the programmatic API acknowledges, shelves, takes feedback
 * and edits rules.
 */
const RATED = seeds.lookup.model.get('chenlong-gz4235')!.ratedCurrentA;

interface Device {
  client: MqttClient;
  seq: number;
  send(kind: string, body: object): Promise<void>;
  telemetry(samples: Sample[]): Promise<void>;
}

async function device(
  url: string,
  creds: { machineId: string; tenant: string; password: string },
): Promise<Device> {
  const client = await connectAsync(url, {
    clientId: creds.machineId,
    username: creds.machineId,
    password: creds.password,
    reconnectPeriod: 0,
  });
  const d: Device = {
    client,
    seq: 0,
    send: async (kind, body) => {
      const payload = { v: 1, bootId: 'boot-1', seq: d.seq++, ...body };
      const retain = kind === 'birth' || kind === 'state';
      await client.publishAsync(
        topicFor(creds.tenant, creds.machineId, kind as 'cut'),
        JSON.stringify(payload),
        { qos: 1, retain },
      );
    },
    telemetry: (samples) => d.send('telemetry', { ts: samples.at(-1)!.ts, samples }),
  };
  await d.send('birth', {
    ts: T0,
    model: 'chenlong-gz4235',
    serial: 'S1',
    firmware: 'f1',
    capabilities: [...TELEMETRY_VARIABLE_NAMES],
    sampleIntervalMs: 1000,
  });
  await d.send('state', { ts: T0, state: 'running' });
  return d;
}

const overload = (t: number, n = 5) =>
  Array.from({ length: n }, (_, i) => cuttingSample(t + i * 1000, { motorCurrent: RATED * 1.15 }));

describe.each([
  ['auto', 'in-process'],
  ['mqtt', 'mqtt'],
] as const)('analysis service (transport %s, SQLite, TelemetryStore)', (transport, expected) => {
  let t: TestSystem;
  let dev: Device;
  let hmi: MqttClient;
  const received: Warning[] = [];

  beforeAll(async () => {
    t = await bootSystem({ roles: ['broker', 'ingest', 'analysis'], analysis: { tickMs: 50, transport } });
    expect(t.sys.analysis!.stats().transport).toBe(expected);
    const creds = await provisionMachine(t.sys, 'CL-AN-01');
    dev = await device(t.mqttUrl, creds);
    // the machine's HMI listens to its own warnings (a machine may subscribe to …/warning)
    hmi = await connectAsync(t.mqttUrl, {
      clientId: 'CL-AN-01-hmi',
      username: 'CL-AN-01',
      password: creds.password,
      reconnectPeriod: 0,
    }).catch(() => dev.client);
    hmi.on('message', (_topic, payload) => received.push(Warning.parse(JSON.parse(payload.toString()))));
    await hmi.subscribeAsync(topicFor('chenlong', 'CL-AN-01', 'warning'), { qos: 1 });
  });
  afterAll(async () => {
    await dev?.client.endAsync();
    if (hmi !== dev?.client) await hmi?.endAsync();
    await t?.close();
  });

  it('raises a warning from the live stream and publishes it to the machine (Warning schema)', async () => {
    await dev.telemetry(overload(T0 + 1000));
    const w = await waitFor(() => received.find((x) => x.type === 'motor-overload'));
    expect(w).toMatchObject({
      state: 'raised',
      severity: 'critical',
      rule: 'current-at-limit@1',
      occurrences: 1,
    });
    expect(w.causes[0]).toMatchObject({ cause: 'motor-overload' });
    expect(w.causes[0]!.action.length).toBeGreaterThan(10);
    expect(w.evidence.motorCurrent).toBeGreaterThan(RATED);
    const [open] = t.sys.analysis!.list({ machine: 'CL-AN-01', open: true });
    expect(open!.warningId).toBe(w.warningId);
    // the lag is measured: every analysed message went through the queue and is counted
    const m = await t.sys.metrics.getSingleMetricAsString('sawbrain_analysis_queue_wait_seconds');
    const analysed = Number(/sawbrain_analysis_queue_wait_seconds_count\S* (\d+)/.exec(m)![1]);
    expect(analysed).toBeGreaterThanOrEqual(3); // birth, state, telemetry
    expect(t.sys.analysis!.stats()).toMatchObject({ queued: 0, dropped: 0 });
  });

  it('acknowledge, shelve with expiry, feedback: published, durable, measured per rule version', async () => {
    const an = t.sys.analysis!;
    const [w] = an.list({ machine: 'CL-AN-01', open: true });
    an.ack(w!.warningId, 'operator-1', 'checking the feed');
    await waitFor(() => received.find((x) => x.warningId === w!.warningId && x.state === 'acknowledged'));
    an.shelve(w!.warningId, 'operator-1', { durationMs: 300, note: 'maintenance' });
    expect(an.get(w!.warningId)!.state).toBe('shelved');
    await waitFor(
      () => received.filter((x) => x.warningId === w!.warningId && x.state === 'acknowledged').length === 2,
    );
    an.feedback(w!.warningId, 'operator-1', { verdict: 'confirmed' });
    expect(an.ruleQuality()).toEqual([
      expect.objectContaining({ rule: 'current-at-limit@1', confirmed: 1, precision: 1 }),
    ]);
    expect(() => an.feedback(w!.warningId, 'x', { verdict: 'maybe' })).toThrow(/verdict/);
    expect(an.history(w!.warningId).map((e) => e.action)).toEqual(['raise', 'ack', 'shelve', 'unshelve']);
    const rows = await waitFor(async () => {
      const r = await t.sys.store!.query({
        db: 'algorithms',
        measurement: 'warning_event',
        from: 0,
        to: Date.UTC(2100, 0, 1),
        where: { machine: 'CL-AN-01' },
      });
      return r.length >= 4 ? r : null;
    });
    expect(new Set(rows.map((r) => r.tags.action))).toEqual(new Set(['raise', 'ack', 'shelve', 'unshelve']));
  });

  it('edits a rule at run time as a new version; later warnings name it', async () => {
    const an = t.sys.analysis!;
    const next = an.editRule('current-at-limit', { params: { forS: 0 }, note: 'trip faster' }, 'engineer');
    expect(next.version).toBe(2);
    expect(() => an.editRule('current-at-limit', { params: { forS: 'soon' } }, 'engineer')).toThrow(/forS/);
    expect(an.rules().find((r) => r.id === 'current-at-limit')!.version).toBe(2);
    const dev2 = await device(t.mqttUrl, await provisionMachine(t.sys, 'CL-AN-02'));
    await dev2.telemetry(overload(T0 + 1000, 1));
    await waitFor(() => an.list({ machine: 'CL-AN-02', open: true })[0]);
    expect(an.list({ machine: 'CL-AN-02' })[0]!.rule).toBe('current-at-limit@2');
    await dev2.client.endAsync();
  });

  it('one open warning per machine and type under a burst of concurrent messages; re-occurrences are counted', async () => {
    const an = t.sys.analysis!;
    const dev3 = await device(t.mqttUrl, await provisionMachine(t.sys, 'CL-AN-03'));
    const sends: Promise<void>[] = [];
    for (let k = 0; k < 8; k++) {
      const t0 = T0 + k * 30 * 60_000;
      sends.push(dev3.telemetry(overload(t0)));
      const calm = [10, 30, 70, 80, 90].map((s) => cuttingSample(t0 + s * 1000));
      sends.push(dev3.telemetry(calm));
      sends.push(dev3.telemetry([cuttingSample(t0 + 20 * 60_000)]));
    }
    await Promise.all(sends); // all in flight at once
    const w = await waitFor(() => an.list({ machine: 'CL-AN-03' }).find((x) => x.occurrences === 8), 20_000);
    expect(an.list({ machine: 'CL-AN-03', type: 'motor-overload' })).toHaveLength(1);
    expect(an.history(w.warningId).filter((e) => e.action === 'reactivate')).toHaveLength(7);
    await dev3.client.endAsync();
  });

  it('keeps the lifecycle and rule versions across a restart (SQLite in the data dir)', async () => {
    const before = t.sys.analysis!.list({ machine: 'CL-AN-01', open: true });
    await t.sys.analysis!.stop();
    const again = new AnalysisService({
      config: t.sys.config,
      seeds,
      logger: silentLogger(),
      metrics: new Registry(),
      transport:
        transport === 'auto'
          ? { kind: 'in-process', aedes: t.sys.broker!.aedes }
          : {
              kind: 'mqtt',
              url: t.mqttUrl,
              password: await ensureServicePassword(t.sys.registry!, t.sys.config.analysis.username, [
                'analysis',
              ]),
            },
      store: t.sys.store,
    });
    await again.start();
    try {
      expect(again.list({ machine: 'CL-AN-01', open: true })).toEqual(before);
      expect(again.get(before[0]!.warningId)!.state).toBe('acknowledged');
      expect(again.rules().find((r) => r.id === 'current-at-limit')!.version).toBe(2);
      expect(() => again.ack('w-nope', 'x')).toThrow(/no open warning/);
      if (transport === 'auto') {
        // in-process, the retained births and states are replayed at start, as a new MQTT
        // subscription gets them: the three machines are known again before they send anything
        await waitFor(() => again.stats().machines === 3);
      }
    } finally {
      await again.stop();
    }
  });
});
