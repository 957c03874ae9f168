import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitFor } from '../helpers/ports.js';
import { bootSystem, type TestSystem } from '../helpers/system.js';

/**
 * The whole system in one process, as `npm start` runs it: broker, ingest, the simulated fleet
 * and the status page, on the embedded store. Everything the simulator publishes must follow
 * the standard (no dead letters), arrive without sequence gaps, and show up in the store.
 */
describe('npm start: everything in one process', () => {
  let t: TestSystem;
  beforeAll(async () => {
    t = await bootSystem({
      roles: ['broker', 'ingest', 'simulator', 'http'],
      simulator: { machines: 6, speed: 120, sampleIntervalMs: 1000, samplesPerMessage: 5 },
    });
  });
  afterAll(async () => t?.close());

  it('stores the simulated fleet: telemetry, cuts and states, with no dead letters or gaps', async () => {
    const year = { from: Date.UTC(2000, 0, 1), to: Date.UTC(2100, 0, 1) };
    const count = async (measurement: string, field: string) => {
      const rows = await t.sys.store!.query({
        db: 'operations',
        measurement,
        ...year,
        fields: [field],
        fn: 'count',
      });
      return Number(rows[0]?.values[field] ?? 0);
    };
    await waitFor(async () => (await count('cut', 'areaCm2')) >= 3, 45_000, 250);
    expect(await count('telemetry', 'bladeSpeed')).toBeGreaterThan(100);
    expect(await count('state', 'state')).toBeGreaterThan(0);
    expect(await count('birth', 'model')).toBe(6);
    expect(t.sys.ingest!.deadLetters(10)).toEqual([]);
    const gaps = await t.sys.store!.query({
      db: 'operations',
      measurement: 'data_quality',
      ...year,
      where: { type: 'gap' },
    });
    expect(gaps).toEqual([]);
    const cuts = await t.sys.store!.query({ db: 'operations', measurement: 'cut', ...year, limit: 5 });
    for (const c of cuts) {
      expect(c.values.areaCm2 as number).toBeGreaterThan(0);
      expect(c.values.cuttingEnergyKWh as number).toBeLessThanOrEqual(c.values.energyKWh as number);
    }
  });

  it('serves the status page, readiness and metrics', async () => {
    const base = t.sys.urls.http!;
    const status = (await (await fetch(`${base}/api/v1/status`)).json()) as {
      cards: { title: string; value: unknown }[];
    };
    expect(status.cards.find((c) => c.title === 'simulated saws')?.value).toBe(6);
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/sawbrain_ingest_samples_total\{app="sawbrain"\} [1-9]\d*/);
    expect(metrics).toMatch(/sawbrain_broker_connected_clients\{app="sawbrain"\} [1-9]\d*/);
    expect(await (await fetch(base)).text()).toContain('SawBrain');
  });
});

describe('npm start as a process', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sawbrain-main-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('prints where to look and shuts down gracefully on SIGINT, leaving nothing unstored', async () => {
    const [mqttPort, wsPort, httpPort] = [await freePort(), await freePort(), await freePort()];
    // exactly the `start` script of package.json (node, its flags, the entry)
    const [bin, ...args] = (JSON.parse(readFileSync('package.json', 'utf8')).scripts.start as string).split(
      ' ',
    );
    expect(bin).toBe('node');
    const child = spawn(process.execPath, args, {
      cwd: join(import.meta.dirname, '../..'),
      env: {
        ...process.env,
        SAWBRAIN_DATA_DIR: dataDir,
        SAWBRAIN_MQTT_HOST: '127.0.0.1',
        SAWBRAIN_MQTT_PORT: String(mqttPort),
        SAWBRAIN_MQTT_WS_PORT: String(wsPort),
        SAWBRAIN_HTTP_HOST: '127.0.0.1',
        SAWBRAIN_HTTP_PORT: String(httpPort),
        SAWBRAIN_SIM_MACHINES: '4',
        SAWBRAIN_SIM_SPEED: '60',
        SAWBRAIN_LOG_LEVEL: 'warn',
      },
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += String(d);
    });
    child.stderr.on('data', (d) => {
      out += String(d);
    });
    await waitFor(() => out.includes('SawBrain is running'), 30_000);
    expect(out).toContain(`mqtt://127.0.0.1:${mqttPort}`);
    expect(out).toContain(`http://127.0.0.1:${httpPort}/`);
    await waitFor(async () => {
      const s = (await (await fetch(`http://127.0.0.1:${httpPort}/api/v1/status`)).json()) as {
        cards: { title: string; value: number }[];
      };
      return (s.cards.find((c) => c.title === 'messages ingested')?.value ?? 0) > 20;
    }, 20_000);
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exit).toBe(0);
    // everything journaled was stored: a fresh ingest start finds no backlog
    const { IngestState } = await import('../../services/ingest/index.js');
    const { Journal } = await import('../../services/ingest/journal.js');
    const state = new IngestState(join(dataDir, 'ingest', 'ingest.sqlite'));
    const journal = new Journal({ dir: join(dataDir, 'ingest', 'journal'), fsync: 'never' });
    journal.open(state.cursor());
    expect(journal.pendingBytes()).toBe(0);
    journal.close();
    state.close();
  });
});
