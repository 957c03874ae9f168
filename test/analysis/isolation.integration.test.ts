import { connectAsync } from 'mqtt';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AnalysisService, defineRule } from '../../services/analysis/index.js';
import { ensureServicePassword } from '../../services/app/provision.js';
import { TELEMETRY_VARIABLE_NAMES, topicFor } from '../../services/contracts/index.js';
import { silentLogger } from '../../services/core/logger.js';
import { waitFor } from '../helpers/ports.js';
import { bootSystem, provisionMachine, settle, type TestSystem } from '../helpers/system.js';
import { cuttingSample, seeds, T0 } from './fixtures.js';

/**
 * Isolation, proven with a rule that throws on every sample: the other rules still raise their
 * warning, the failures are counted (and the rule quarantined on that machine), and ingest —
 * running in the same process on the same broker — stores every message; over both transports
 * (in-process on the broker's emitter next to ingest, and a separate MQTT subscriber).
 */
const boom = defineRule({
  kind: 'boom',
  description: 'throws on purpose',
  params: z.strictObject({}),
  init: () => ({}),
  onSample() {
    throw new Error('deliberate failure');
  },
});

describe.each(['in-process', 'mqtt'] as const)(
  'a failing rule never stops the other rules or ingest (%s)',
  (transport) => {
    let t: TestSystem;
    let an: AnalysisService;
    const metrics = new Registry();

    beforeAll(async () => {
      t = await bootSystem({ roles: ['broker', 'ingest'] });
      an = new AnalysisService({
        config: t.sys.config,
        seeds,
        logger: silentLogger(),
        metrics,
        transport:
          transport === 'in-process'
            ? { kind: 'in-process', aedes: t.sys.broker!.aedes }
            : {
                kind: 'mqtt',
                url: t.mqttUrl,
                password: await ensureServicePassword(t.sys.registry!, t.sys.config.analysis.username, [
                  'analysis',
                ]),
              },
        store: t.sys.store,
        kinds: [boom],
        rules: [
          {
            id: 'boom',
            version: 1,
            kind: 'boom',
            symptom: 'tension-low',
            enabled: true,
            description: 'boom',
            params: {},
          },
        ],
      });
      await an.start();
    });
    afterAll(async () => {
      await an?.stop();
      await t?.close();
    });

    it('raises the overload warning, counts the failures, and ingest stores all 41 messages', async () => {
      expect(an.stats().transport).toBe(transport);
      const creds = await provisionMachine(t.sys, 'CL-ISO-01');
      const c = await connectAsync(t.mqttUrl, {
        clientId: creds.machineId,
        username: creds.machineId,
        password: creds.password,
        reconnectPeriod: 0,
      });
      let seq = 0;
      const send = (kind: 'birth' | 'telemetry', body: object) =>
        c.publishAsync(
          topicFor('chenlong', creds.machineId, kind),
          JSON.stringify({ v: 1, bootId: 'b', seq: seq++, ...body }),
          { qos: 1 },
        );
      const before = t.sys.ingest!.stats().received;
      await send('birth', {
        ts: T0,
        model: 'chenlong-gz4235',
        serial: 'S',
        firmware: 'f',
        capabilities: [...TELEMETRY_VARIABLE_NAMES],
        sampleIntervalMs: 1000,
      });
      const rated = seeds.lookup.model.get('chenlong-gz4235')!.ratedCurrentA;
      for (let i = 0; i < 40; i++) {
        const samples = Array.from({ length: 5 }, (_, k) =>
          cuttingSample(T0 + (i * 5 + k) * 1000, { motorCurrent: rated * 1.2 }),
        );
        await send('telemetry', { ts: samples[4]!.ts, samples });
      }
      await settle(t.sys, before + 41);
      const w = await waitFor(() => an.list({ machine: 'CL-ISO-01' })[0]);
      expect(w.type).toBe('motor-overload');
      const failures = await waitFor(async () => {
        const m = (await metrics.getSingleMetricAsString('sawbrain_analysis_rule_failures_total')).match(
          /rule="boom@1"\} (\d+)/,
        );
        return m && Number(m[1]) >= 50 ? Number(m[1]) : null;
      });
      expect(failures).toBeLessThan(200); // quarantined after 50 failures in a row
      expect(an.stats().ruleFailures['boom@1']).toBe(failures);
      const rows = await t.sys.store!.query({
        db: 'operations',
        measurement: 'telemetry',
        from: 0,
        to: Date.UTC(2100, 0, 1),
        where: { machine: 'CL-ISO-01' },
      });
      expect(rows).toHaveLength(200);
      await c.endAsync();
    });
  },
);
