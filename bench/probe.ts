/**
 * Warning probe, run as a child process (own event loop, own clock readings). Each probe machine
 * is one MQTT connection that subscribes to its own `…/warning` topic (as a saw's HMI would),
 * publishes cutting telemetry of the standard once a second with wall-clock device timestamps,
 * and at its scheduled moment breaks its blade: the controller reports `state: alarm`, then the
 * telemetry shows the blade stopping mid-cut. The warning engine's `abrupt-stop` rule flags that
 * as a blade breakage (critical, so flood control never holds it back).
 *
 * Latency = arrival of the `blade-breakage` warning at this subscriber − the device timestamp of
 * the stop sample (taken just before the alarm state is published). Same host, same clock.
 * Config comes as JSON in argv[2]; the result goes back over IPC.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { z } from 'zod';
import { topicFor } from '../services/contracts/index.js';

const Config = z.object({
  url: z.string(),
  machines: z.array(z.object({ id: z.string(), tenant: z.string(), password: z.string() })),
  /** the breakages are spread evenly over this window, after `warmupMs` */
  durationMs: z.number().positive(),
  warmupMs: z.number().min(0).default(3000),
  /** how long to wait for a warning after the last breakage */
  graceMs: z.number().min(0).default(10_000),
  connectConcurrency: z.number().default(20),
});
type Config = z.infer<typeof Config>;

const BOOT = 'probe';

function cutting(ts: number, k: number) {
  return {
    ts,
    bladeSpeed: 78 + (k % 5),
    downFeed: 40,
    feedForce: 4200 + (k % 7) * 10,
    motorCurrent: 18 + (k % 3) * 0.1,
    power: 4.5,
    hydraulicPressure: 6,
    bladeTension: 180,
    vibration: 1.2,
    motorTemp: 45,
    coolantFlow: 20,
  };
}

const STOPPED = { bladeSpeed: 0, downFeed: 0, feedForce: 0, motorCurrent: 0, power: 0 };

interface Probe {
  client: MqttClient;
  tenant: string;
  id: string;
  seq: number;
  firedAt: number | null;
  latencyMs: number | null;
  timer: NodeJS.Timeout | null;
}

function publish(p: Probe, kind: 'state' | 'telemetry', payload: object): Promise<unknown> {
  return p.client.publishAsync(topicFor(p.tenant, p.id, kind), JSON.stringify(payload), { qos: 1 });
}

function telemetry(p: Probe, samples: object[]) {
  return publish(p, 'telemetry', { v: 1, ts: Date.now(), bootId: BOOT, seq: p.seq++, samples });
}

async function connect(cfg: Config): Promise<Probe[]> {
  const probes: Probe[] = [];
  for (let i = 0; i < cfg.machines.length; i += cfg.connectConcurrency) {
    const slice = cfg.machines.slice(i, i + cfg.connectConcurrency);
    const batch = await Promise.all(
      slice.map(async (m) => {
        const client = await mqtt.connectAsync(cfg.url, {
          clientId: m.id,
          username: m.id,
          password: m.password,
          reconnectPeriod: 0,
          keepalive: 300,
          connectTimeout: 60_000,
        });
        const p: Probe = {
          client,
          tenant: m.tenant,
          id: m.id,
          seq: 0,
          firedAt: null,
          latencyMs: null,
          timer: null,
        };
        client.on('message', (_topic, payload) => {
          const arrived = Date.now();
          const w = JSON.parse(payload.toString('utf8')) as { type?: string; state?: string };
          if (
            p.firedAt !== null &&
            p.latencyMs === null &&
            w.type === 'blade-breakage' &&
            w.state === 'raised'
          )
            p.latencyMs = arrived - p.firedAt;
        });
        await client.subscribeAsync(topicFor(m.tenant, m.id, 'warning'), { qos: 1 });
        return p;
      }),
    );
    probes.push(...batch);
  }
  return probes;
}

/** The blade breaks: alarm state first (acknowledged), then the blade stopping mid-cut. */
async function breakBlade(p: Probe): Promise<void> {
  if (p.timer) clearInterval(p.timer);
  const t = Date.now();
  p.firedAt = t;
  await publish(p, 'state', {
    v: 1,
    ts: t,
    bootId: BOOT,
    seq: p.seq++,
    state: 'alarm',
    reason: 'blade broken',
  });
  await telemetry(p, [cutting(t - 2, 1), cutting(t - 1, 2), { ts: t, ...STOPPED }]);
}

async function run(cfg: Config) {
  const probes = await connect(cfg);
  process.send?.({ type: 'connected', count: probes.length });
  const start = Date.now();
  let errors = 0;
  // running and cutting, one telemetry message a second each (10 samples, 100 ms apart)
  await Promise.all(
    probes.map((p) => publish(p, 'state', { v: 1, ts: start, bootId: BOOT, seq: p.seq++, state: 'running' })),
  );
  for (const [i, p] of probes.entries()) {
    const tick = () => {
      const now = Date.now();
      const samples = Array.from({ length: 10 }, (_, j) => cutting(now - 900 + j * 100, j + i));
      telemetry(p, samples).catch(() => errors++);
    };
    setTimeout(
      () => {
        if (p.firedAt === null) p.timer = setInterval(tick, 1000);
      },
      (1000 * i) / probes.length,
    );
  }
  const spacing = cfg.durationMs / probes.length;
  await Promise.all(
    probes.map(
      (p, i) =>
        new Promise<void>((resolve) => {
          setTimeout(
            () =>
              breakBlade(p).then(resolve, () => {
                errors++;
                resolve();
              }),
            cfg.warmupMs + i * spacing,
          );
        }),
    ),
  );
  const deadline = Date.now() + cfg.graceMs;
  while (Date.now() < deadline && probes.some((p) => p.latencyMs === null))
    await new Promise((r) => setTimeout(r, 100));
  for (const p of probes) if (p.timer) clearInterval(p.timer);
  const latencies = probes.flatMap((p) => (p.latencyMs === null ? [] : [p.latencyMs]));
  await Promise.all(probes.map((p) => p.client.endAsync()));
  return {
    fired: probes.filter((p) => p.firedAt !== null).length,
    latencies,
    timeline: probes.map((p) => [p.firedAt === null ? null : p.firedAt - start, p.latencyMs]),
    missing: probes.length - latencies.length,
    errors,
    elapsedMs: Date.now() - start,
  };
}

const cfg = Config.parse(JSON.parse(process.argv[2] ?? '{}'));
run(cfg).then(
  (result) => {
    process.send?.({ type: 'done', ...result }, () => process.exit(0));
  },
  (err: unknown) => {
    process.send?.({ type: 'error', message: String(err) }, () => process.exit(1));
  },
);
