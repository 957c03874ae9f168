import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { AnalysisService } from '../analysis/index.js';
import { type BrokerService, createBrokerService } from '../broker/index.js';
import type { Config, Role } from '../core/config.js';
import { SawBrainError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { createMetrics } from '../core/metrics.js';
import type { TelemetryStore } from '../core/ports.js';
import { buildHttpApp } from '../http/app.js';
import { IngestService, inProcessSource, type MessageSource, mqttSource } from '../ingest/index.js';
import { MachineRegistry } from '../registry/index.js';
import { loadSeeds } from '../seeds/index.js';
import { createStore } from '../stores/index.js';
import { ensureServicePassword } from './provision.js';
import { type SimulatedFleet, startSimulatedFleet } from './simulated-fleet.js';

/** A running SawBrain process: what it started, where to find it, and how to stop it. */
export interface RunningSystem {
  readonly config: Config;
  readonly metrics: Registry;
  readonly urls: { mqtt?: string; ws?: string; http?: string };
  readonly registry: MachineRegistry | null;
  readonly store: TelemetryStore | null;
  readonly broker: BrokerService | null;
  readonly ingest: IngestService | null;
  readonly analysis: AnalysisService | null;
  readonly fleet: SimulatedFleet | null;
  stop(): Promise<void>;
}

interface Stoppable {
  name: string;
  stop: () => Promise<void> | void;
}

function has(config: Config, role: Role): boolean {
  return config.roles.includes(role);
}

/**
 * The composition root: builds every component the configured roles need from one frozen
 * config, starts them in dependency order and returns one handle that stops them in reverse.
 * If a start fails, what was already started is stopped before the error propagates.
 */
export async function startSystem(config: Config, logger: Logger): Promise<RunningSystem> {
  const metrics = createMetrics();
  const started: Stoppable[] = [];
  const urls: { mqtt?: string; ws?: string; http?: string } = {};
  let registry: MachineRegistry | null = null;
  let store: TelemetryStore | null = null;
  let broker: BrokerService | null = null;
  let ingest: IngestService | null = null;
  let analysis: AnalysisService | null = null;
  let fleet: SimulatedFleet | null = null;

  const stopAll = async () => {
    for (const c of started.splice(0).reverse()) {
      try {
        await c.stop();
      } catch (err) {
        logger.error({ err, component: c.name }, 'stop failed');
      }
    }
  };

  try {
    if (
      has(config, 'broker') ||
      has(config, 'simulator') ||
      has(config, 'ingest') ||
      has(config, 'analysis')
    ) {
      registry = MachineRegistry.open(config.dataDir);
      const r = registry;
      started.push({ name: 'registry', stop: () => r.close() });
    }

    let brokerUrl = config.brokerUrl;
    if (has(config, 'broker')) {
      broker = createBrokerService({ config: config.mqtt, registry: registry!, logger, metrics });
      const { port, wsPort } = await broker.start();
      const b = broker;
      started.push({ name: 'broker', stop: () => b.stop() });
      const host = config.mqtt.host === '0.0.0.0' ? '127.0.0.1' : config.mqtt.host;
      urls.mqtt = `mqtt://${host}:${port}`;
      if (wsPort) urls.ws = `ws://${host}:${wsPort}`;
      brokerUrl ??= urls.mqtt;
      if (config.ingest.password) {
        await ensureServicePassword(registry!, config.ingest.username, ['ingest'], config.ingest.password);
      }
      if (config.analysis.password) {
        await ensureServicePassword(
          registry!,
          config.analysis.username,
          ['analysis'],
          config.analysis.password,
        );
      }
    }

    if (has(config, 'ingest')) {
      const inProcess = broker !== null && config.ingest.transport === 'auto';
      let source: MessageSource;
      if (inProcess) {
        source = inProcessSource(broker!.aedes, logger.child({ svc: 'ingest' }));
      } else {
        if (!brokerUrl)
          throw new SawBrainError('CONFIG_INVALID', 'ingest needs SAWBRAIN_BROKER_URL or the broker role');
        let password = config.ingest.password;
        if (!password) {
          if (!has(config, 'broker')) {
            throw new SawBrainError(
              'CONFIG_INVALID',
              'ingest without the broker role needs SAWBRAIN_INGEST_PASSWORD',
            );
          }
          password = await ensureServicePassword(registry!, config.ingest.username, ['ingest']);
        }
        source = mqttSource({
          url: brokerUrl,
          clientId: config.ingest.clientId,
          username: config.ingest.username,
          password,
          logger: logger.child({ svc: 'ingest' }),
        });
      }
      store = createStore(config, logger);
      await store.start();
      const s = store;
      started.push({ name: 'store', stop: () => s.stop() });
      ingest = new IngestService({ config, store, logger, metrics, source });
      await ingest.start();
      const i = ingest;
      started.push({ name: 'ingest', stop: () => i.stop() });
    }

    if (has(config, 'analysis')) {
      if (!brokerUrl)
        throw new SawBrainError('CONFIG_INVALID', 'analysis needs SAWBRAIN_BROKER_URL or the broker role');
      let password = config.analysis.password;
      if (!password) {
        if (!has(config, 'broker')) {
          throw new SawBrainError(
            'CONFIG_INVALID',
            'analysis without the broker role needs SAWBRAIN_ANALYSIS_PASSWORD',
          );
        }
        password = await ensureServicePassword(registry!, config.analysis.username, ['analysis']);
      }
      if (!store && config.analysis.history) {
        store = createStore(config, logger);
        await store.start();
        const s = store;
        started.push({ name: 'store', stop: () => s.stop() });
      }
      const r = registry;
      analysis = new AnalysisService({
        config,
        seeds: loadSeeds(join(import.meta.dirname, '../../seeds')),
        logger,
        metrics,
        brokerUrl,
        password,
        store,
        plantOf: (_tenant, machine) => r?.get(machine)?.plant,
      });
      await analysis.start();
      const an = analysis;
      started.push({ name: 'analysis', stop: () => an.stop() });
    }

    if (has(config, 'simulator') && config.simulator.enabled && config.simulator.machines > 0) {
      if (!brokerUrl)
        throw new SawBrainError(
          'CONFIG_INVALID',
          'the simulator needs SAWBRAIN_BROKER_URL or the broker role',
        );
      fleet = await startSimulatedFleet({ config, registry: registry!, brokerUrl, logger });
      const f = fleet;
      started.push({ name: 'simulator', stop: () => f.stop() });
    }

    if (has(config, 'http')) {
      const app = buildHttpApp({
        logger,
        metrics,
        sources: {
          readiness: {
            ...(store ? { store: () => store!.ping() } : {}),
            ...(broker ? { broker: () => true } : {}),
          },
          status: () => statusCards({ registry, ingest, analysis, fleet, store, urls }),
        },
      });
      await app.listen({ host: config.http.host, port: config.http.port });
      const address = app.server.address() as AddressInfo;
      const host = config.http.host === '0.0.0.0' ? 'localhost' : config.http.host;
      urls.http = `http://${host}:${address.port}`;
      started.push({ name: 'http', stop: () => app.close() });
    }
  } catch (err) {
    await stopAll();
    throw err;
  }

  return { config, metrics, urls, registry, store, broker, ingest, analysis, fleet, stop: stopAll };
}

async function statusCards(parts: {
  registry: MachineRegistry | null;
  ingest: IngestService | null;
  analysis: AnalysisService | null;
  fleet: SimulatedFleet | null;
  store: TelemetryStore | null;
  urls: Record<string, string | undefined>;
}) {
  const cards: { title: string; value: number | string; sub?: string }[] = [];
  if (parts.registry) {
    const machines = parts.registry.list({ includeRevoked: false });
    cards.push({
      title: 'machines registered',
      value: machines.length,
      sub: `${new Set(machines.map((m) => m.tenant)).size} manufacturers`,
    });
  }
  if (parts.ingest) {
    const s = parts.ingest.stats();
    cards.push({
      title: 'messages ingested',
      value: s.received,
      sub: `${s.samplesStored.toLocaleString('en-US')} samples stored`,
    });
    cards.push({
      title: 'spool backlog',
      value: s.pendingBytes,
      sub: 'bytes journaled, not yet in the store',
    });
    cards.push({ title: 'dead letters', value: s.deadLetters, sub: 'messages that broke the standard' });
  }
  if (parts.analysis) {
    const a = parts.analysis.stats();
    cards.push({ title: 'open warnings', value: a.open, sub: `${a.machines} machines analysed` });
  }
  if (parts.fleet) {
    const f = parts.fleet.stats();
    cards.push({
      title: 'simulated saws',
      value: f.machines,
      sub: `${f.messages.toLocaleString('en-US')} messages published`,
    });
  }
  if (parts.store)
    cards.push({
      title: 'store',
      value: parts.store.kind,
      sub: (await parts.store.ping()) ? 'reachable' : 'UNREACHABLE',
    });
  return { cards, urls: parts.urls };
}
