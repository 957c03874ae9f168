/**
 * Load generator, run as a child process so it never shares an event loop with the system
 * under test. Config comes as JSON in argv[2]; the result goes back over IPC.
 *
 * Each machine is one MQTT connection publishing telemetry batches of the standard. `closed`
 * mode keeps `inflight` messages outstanding per connection (saturation); `open` mode publishes
 * at a fixed total rate; `idle` mode only connects and waits (memory scenario).
 */
import mqtt from 'mqtt';
import { z } from 'zod';
import { topicFor } from '../services/contracts/index.js';
import { LeanPublisher } from './lib/lean-mqtt.js';
import { telemetryPayload } from './lib/telemetry.js';

const Config = z.object({
  url: z.string(),
  machines: z.array(z.object({ id: z.string(), tenant: z.string(), password: z.string() })),
  mode: z.enum(['closed', 'open', 'idle']),
  qos: z.union([z.literal(0), z.literal(1)]).default(1),
  /** total messages/s in open mode; per connection it is rate / machines */
  rate: z.number().default(0),
  durationMs: z.number(),
  inflight: z.number().default(16),
  samplesPerMessage: z.number().default(10),
  t0: z.number(),
  /** topic kind; the broker scenario may publish to a plain topic */
  connectConcurrency: z.number().default(20),
  /**
   * `lean` (default): bench/lib/lean-mqtt.ts, a minimal MQTT 3.1.1 publisher that costs the
   * shared CPU little; `mqttjs`: one mqtt.js client per machine, to compare.
   */
  client: z.enum(['lean', 'mqttjs']).default('lean'),
});
type Config = z.infer<typeof Config>;

/** What the load loop needs of a client, whichever library speaks MQTT. */
interface Publisher {
  publish(topic: string, payload: string, qos: 0 | 1): Promise<void>;
  end(): Promise<void>;
}

async function connectOne(cfg: Config, m: Config['machines'][number]): Promise<Publisher> {
  const auth = { clientId: m.id, username: m.id, password: m.password };
  if (cfg.client === 'mqttjs') {
    const c = await mqtt.connectAsync(cfg.url, {
      ...auth,
      reconnectPeriod: 0,
      keepalive: 300,
      connectTimeout: 60_000,
    });
    return {
      publish: async (topic, payload, qos) => {
        await c.publishAsync(topic, payload, { qos });
      },
      end: () => c.endAsync(),
    };
  }
  const c = await LeanPublisher.connect({ url: cfg.url, ...auth });
  const topics = new Map<string, Buffer>();
  return {
    publish: (topic, payload, qos) => {
      let t = topics.get(topic);
      if (!t) {
        t = Buffer.from(topic);
        topics.set(topic, t);
      }
      return c.publish(t, payload, qos);
    },
    end: () => c.end(),
  };
}

async function connectAll(cfg: Config): Promise<Publisher[]> {
  const clients: Publisher[] = [];
  for (let i = 0; i < cfg.machines.length; i += cfg.connectConcurrency) {
    const slice = cfg.machines.slice(i, i + cfg.connectConcurrency);
    clients.push(...(await Promise.all(slice.map((m) => connectOne(cfg, m)))));
  }
  return clients;
}

async function run(cfg: Config) {
  const clients = await connectAll(cfg);
  process.send?.({ type: 'connected', count: clients.length });
  const start = Date.now();
  const end = start + cfg.durationMs;
  let published = 0;
  let errors = 0;
  if (cfg.mode === 'idle') {
    await new Promise((r) => setTimeout(r, cfg.durationMs));
  } else {
    const perClientInterval = cfg.mode === 'open' ? (1000 * clients.length) / Math.max(cfg.rate, 1e-9) : 0;
    await Promise.all(
      clients.map(async (client, ci) => {
        const m = cfg.machines[ci]!;
        const topic = topicFor(m.tenant, m.id, 'telemetry');
        let seq = 0;
        let next = start + (perClientInterval * ci) / clients.length;
        const inflight = new Set<Promise<void>>();
        while (Date.now() < end) {
          if (cfg.mode === 'open') {
            const wait = next - Date.now();
            if (wait > 0) await new Promise((r) => setTimeout(r, wait));
            next += perClientInterval;
            if (Date.now() >= end) break;
          }
          const p = client
            .publish(topic, telemetryPayload(seq++, cfg.t0, cfg.samplesPerMessage, ci), cfg.qos)
            .then(
              () => {
                published++;
              },
              () => {
                errors++;
              },
            );
          inflight.add(p);
          void p.finally(() => inflight.delete(p));
          if (inflight.size >= (cfg.mode === 'closed' ? cfg.inflight : 1000)) await Promise.race(inflight);
        }
        await Promise.all(inflight);
      }),
    );
  }
  const elapsedMs = Date.now() - start;
  await Promise.all(clients.map((c) => c.end()));
  return { published, errors, elapsedMs, samples: published * cfg.samplesPerMessage };
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
