import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type RunningSystem, startSystem } from '../../services/app/system.js';
import { type ConfigInput, loadConfig } from '../../services/core/config.js';
import { silentLogger } from '../../services/core/logger.js';
import { IngestService } from '../../services/ingest/index.js';

export const execFileAsync = promisify(execFile);

export interface TestSystem {
  sys: RunningSystem;
  dataDir: string;
  /** the in-process broker's MQTT URL */
  mqttUrl: string;
  port: number;
  close(): Promise<void>;
}

/** Boots SawBrain in-process on free loopback ports and a temp data dir (broker + ingest by default). */
export async function bootSystem(overrides: ConfigInput = {}): Promise<TestSystem> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sawbrain-sys-'));
  const config = loadConfig(
    {},
    {
      roles: ['broker', 'ingest'],
      dataDir,
      logLevel: 'silent',
      ...overrides,
      mqtt: { host: '127.0.0.1', port: 0, wsPort: 0, ...overrides.mqtt },
      http: { host: '127.0.0.1', port: 0, ...overrides.http },
      ingest: { flushIntervalMs: 20, ...overrides.ingest },
    },
  );
  const sys = await startSystem(config, silentLogger());
  const mqttUrl = sys.urls.mqtt!;
  return {
    sys,
    dataDir,
    mqttUrl,
    port: Number(new URL(mqttUrl).port),
    close: async () => {
      await sys.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Waits until ingest has received `total` messages since it started, then until all of them are
 * in the store. (A publisher's PUBACK comes from the broker; delivery to ingest follows.)
 */
export async function settle(
  target: RunningSystem | IngestService,
  total: number,
  timeoutMs = 30_000,
): Promise<void> {
  const ingest = target instanceof IngestService ? target : target.ingest!;
  const deadline = Date.now() + timeoutMs;
  while (ingest.stats().received < total) {
    if (Date.now() > deadline) throw new Error(`ingest received ${ingest.stats().received} of ${total}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  await ingest.drained(Math.max(1000, deadline - Date.now()));
}

/** Provisions a machine in the system's registry and returns its credentials. */
export async function provisionMachine(sys: RunningSystem, machineId: string, tenant = 'chenlong') {
  const { password } = await sys.registry!.addMachine({
    machineId,
    tenant,
    plant: 'Test plant',
    site: 'Hall 1',
    region: 'zhejiang-lishui',
    industry: 'steel-service',
    model: 'test-model',
    serial: `SN-${machineId}`,
  });
  return { machineId, tenant, password };
}

/** mosquitto_pub from Debian: publishes each line of `lines` as one message (-l). */
export async function mosquittoPublishLines(
  port: number,
  creds: { machineId: string; password: string },
  topic: string,
  lines: string[],
  qos = 1,
): Promise<void> {
  const child = execFile('mosquitto_pub', [
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    '-i',
    creds.machineId,
    '-u',
    creds.machineId,
    '-P',
    creds.password,
    '-q',
    String(qos),
    '-t',
    topic,
    '-l',
  ]);
  const done = new Promise<void>((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (d) => {
      stderr += String(d);
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`mosquitto_pub exit ${code}: ${stderr}`)),
    );
  });
  child.stdin!.end(`${lines.join('\n')}\n`);
  await done;
}

/** Runs a raw InfluxQL query against an InfluxDB server, independent of SawBrain's store code. */
export async function influxQL(
  url: string,
  db: string,
  q: string,
): Promise<{ columns: string[]; values: unknown[][] }[]> {
  const res = await fetch(`${url}/query?db=${encodeURIComponent(db)}&epoch=ms&q=${encodeURIComponent(q)}`);
  const body = (await res.json()) as {
    results: { series?: { columns: string[]; values: unknown[][] }[]; error?: string }[];
  };
  if (body.results[0]?.error) throw new Error(body.results[0].error);
  return body.results[0]?.series ?? [];
}
