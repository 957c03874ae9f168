import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { IClientOptions } from 'mqtt';
import type { Logger } from '../services/core/logger.js';
import { createMetrics, type MetricsRegistry } from '../services/core/metrics.js';
import { createAdapter } from './adapters/index.js';
import { CommandRelay, type RelayTarget } from './commands/relay.js';
import type { GatewayConfig } from './config.js';
import { ControllerRunner } from './controller.js';
import { startHealthServer } from './health.js';
import { createEdgeMetrics, type EdgeMetrics } from './metrics.js';
import { type BootCounters, OutboxStore } from './outbox/store.js';
import { MachineStream } from './outbox/stream.js';
import { Uplink, type UplinkStats } from './outbox/uplink.js';

export const OUTBOX_FILE = 'outbox.sqlite';

export interface GatewayOptions {
  now?: () => number;
  /** default: a new one per start (a restarted gateway numbers new messages under a new boot) */
  bootId?: string;
  metrics?: MetricsRegistry;
  /** extra mqtt.js options (tests) */
  mqtt?: Partial<IClientOptions>;
  /** how long a graceful stop waits for the last live messages' PUBACKs (default 3 s) */
  stopGraceMs?: number;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  gatewayId: string;
  bootId: string;
  link: { connected: boolean };
  uplink: UplinkStats & { backlogRemaining: number };
  outbox: { depth: number; bytes: number; oldestAgeMs: number | null; boots: BootCounters[] };
  controllers: {
    machineId: string;
    protocol: string;
    reachable: boolean;
    nextSeq: number;
    cuts: number;
    lastReadAgeMs: number | null;
  }[];
}

export interface RunningGateway {
  readonly bootId: string;
  readonly config: GatewayConfig;
  readonly metrics: MetricsRegistry;
  readonly outbox: OutboxStore;
  readonly uplink: Uplink;
  readonly controllers: ReadonlyMap<string, ControllerRunner>;
  readonly urls: { http?: string };
  health(): HealthReport;
  /** graceful: last batches, cuts in progress and `offline` states are numbered and sent */
  stop(): Promise<void>;
  /** abrupt, like a crash: nothing more is numbered or awaited; the outbox keeps what it has */
  kill(): Promise<void>;
}

export function newBootId(gatewayId: string, now = Date.now()): string {
  return `${gatewayId.slice(0, 40)}-${now.toString(36)}-${randomBytes(3).toString('hex')}`;
}

/**
 * The composition root of the edge gateway: outbox → uplink → controllers → command relay →
 * health endpoint, started in that order and stopped in reverse.
 */
export async function startGateway(
  config: GatewayConfig,
  logger: Logger,
  options: GatewayOptions = {},
): Promise<RunningGateway> {
  const now = options.now ?? Date.now;
  const log = logger.child({ svc: 'edge', gatewayId: config.gatewayId });
  const bootId = options.bootId ?? newBootId(config.gatewayId);
  const registry = options.metrics ?? createMetrics();
  const metrics: EdgeMetrics = createEdgeMetrics(registry);
  const outbox = new OutboxStore(join(config.dataDir, OUTBOX_FILE), config.outbox);
  outbox.open();

  const runners = new Map<string, ControllerRunner>();
  const targets = new Map<string, RelayTarget>();
  let relay: CommandRelay | undefined;
  const uplink = new Uplink({
    ...config.broker,
    ...config.uplink,
    clientId: config.gatewayId,
    username: config.broker.username ?? config.gatewayId,
    subscriptions: config.controllers.map((c) => `sawbrain/v1/${config.tenant}/${c.machineId}/command`),
    outbox,
    logger: log,
    metrics,
    now,
    onConnect: () => {
      for (const r of runners.values()) r.birth();
    },
    onMessage: (topic, payload) => relay?.handle(topic, payload),
    ...(options.mqtt ? { mqtt: options.mqtt } : {}),
  });

  for (const c of config.controllers) {
    const stream = new MachineStream({
      tenant: config.tenant,
      machineId: c.machineId,
      bootId,
      outbox,
      uplink,
      metrics,
      logger: log,
      now,
      maxPacketBytes: config.broker.maxPacketBytes,
    });
    const adapter = await createAdapter(c, { logger: log, dataDir: config.dataDir, now });
    const runner = new ControllerRunner({
      cfg: c,
      adapter,
      stream,
      gatewayId: config.gatewayId,
      metrics,
      logger: log,
      now,
    });
    runners.set(c.machineId, runner);
    const poll = c.pollIntervalMs ?? c.sampleIntervalMs;
    targets.set(c.machineId, { runner, stream, interlocks: c.interlocks, staleMs: 3 * poll + 2000 });
  }
  relay = new CommandRelay({ tenant: config.tenant, targets, metrics, logger: log, now });

  const gauges = () => {
    metrics.outboxDepth.set(outbox.depth);
    metrics.outboxBytes.set(outbox.sizeBytes);
    const oldest = outbox.oldestCreated();
    metrics.outboxAge.set(oldest === undefined ? 0 : Math.max(0, (now() - oldest) / 1000));
    metrics.backlog.set(uplink.backlogRemaining());
  };
  const sweep = () => {
    const dropped = outbox.sweep(now(), uplink.inFlight);
    if (dropped) {
      metrics.dropped.inc({ reason: 'age' }, dropped.messages);
      metrics.droppedSamples.inc({ reason: 'age' }, dropped.samples);
      log.warn(dropped, 'outbox: messages older than maxAgeMs dropped');
    }
    gauges();
  };

  uplink.start();
  for (const r of runners.values()) r.start();
  const sweepTimer = setInterval(sweep, config.outbox.sweepIntervalMs);
  const gaugeTimer = setInterval(gauges, 1000);
  sweepTimer.unref();
  gaugeTimer.unref();

  const health = (): HealthReport => {
    const oldest = outbox.oldestCreated();
    const controllers = [...runners.values()].map((r) => ({
      machineId: r.machineId,
      protocol: r.adapter.protocol,
      reachable: r.state.reachable,
      nextSeq: targets.get(r.machineId)!.stream.nextSeq,
      cuts: r.cutsDetected,
      lastReadAgeMs: r.state.readAt > 0 ? now() - r.state.readAt : null,
    }));
    const connected = uplink.connected;
    return {
      status: connected && controllers.every((c) => c.reachable) ? 'ok' : 'degraded',
      gatewayId: config.gatewayId,
      bootId,
      link: { connected },
      uplink: { ...uplink.stats(), backlogRemaining: uplink.backlogRemaining() },
      outbox: {
        depth: outbox.depth,
        bytes: outbox.sizeBytes,
        oldestAgeMs: oldest === undefined ? null : now() - oldest,
        boots: outbox.boots(),
      },
      controllers,
    };
  };

  const urls: { http?: string } = {};
  let http: Awaited<ReturnType<typeof startHealthServer>> | undefined;
  if (config.http) {
    try {
      http = await startHealthServer({ ...config.http, metrics: registry, report: health });
      urls.http = http.url;
    } catch (err) {
      await shutdown(false);
      throw err;
    }
  }
  log.info(
    { bootId, controllers: runners.size, broker: config.broker.url, http: urls.http },
    'edge gateway started',
  );

  let stopping: Promise<void> | undefined;
  async function shutdown(graceful: boolean): Promise<void> {
    clearInterval(sweepTimer);
    clearInterval(gaugeTimer);
    await http?.app.close();
    await Promise.all([...runners.values()].map((r) => r.stop(graceful)));
    if (graceful) {
      await relay?.idle();
      const flushed = await uplink.flushLive(options.stopGraceMs ?? 3000);
      if (!flushed) log.warn({ depth: outbox.depth }, 'stopping with unsent messages: kept in the outbox');
      await uplink.stop(options.stopGraceMs ?? 3000);
    } else uplink.kill();
    outbox.close();
    log.info({ graceful, left: graceful ? undefined : 'outbox' }, 'edge gateway stopped');
  }

  return {
    bootId,
    config,
    metrics: registry,
    outbox,
    uplink,
    controllers: runners,
    urls,
    health,
    stop: () => {
      stopping ??= shutdown(true);
      return stopping;
    },
    kill: () => {
      stopping ??= shutdown(false);
      return stopping;
    },
  };
}
