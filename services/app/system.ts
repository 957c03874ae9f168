import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { AnalysisService, type AnalysisTransport } from '../analysis/index.js';
import { type ApiServer, createApiServer } from '../api/server.js';
import { type BrokerService, createBrokerService } from '../broker/index.js';
import type { Config, Role } from '../core/config.js';
import { SawBrainError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { createMetrics } from '../core/metrics.js';
import type { TelemetryStore } from '../core/ports.js';
import { MachineDirectory } from '../databases/directory.js';
import { DatabasesService } from '../databases/index.js';
import { DatabaseReader } from '../databases/reader.js';
import { IngestService, inProcessSource, type MessageSource, mqttSource } from '../ingest/index.js';
import { MachineRegistry } from '../registry/index.js';
import { loadSeeds } from '../seeds/index.js';
import { createStore } from '../stores/index.js';
import { ensureServicePassword } from './provision.js';
import { type SimulatedFleet, startSimulatedFleet } from './simulated-fleet.js';

/** While the in-process warning engine's oldest queued message is older than this, ingest waits. */
const ANALYSIS_PRIORITY_LAG_MS = 20;

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
  /** the four databases' builder (role databases) */
  readonly databases: DatabasesService | null;
  /** the HTTP API (role http): keys, commands, the Fastify app */
  readonly api: ApiServer | null;
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
  let databases: DatabasesService | null = null;
  let api: ApiServer | null = null;

  const stopAll = async () => {
    for (const c of started.splice(0).reverse()) {
      try {
        logger.debug({ component: c.name }, 'stopping');
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
      has(config, 'analysis') ||
      has(config, 'databases') ||
      has(config, 'http')
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
      if (config.databases.password) {
        await ensureServicePassword(
          registry!,
          config.databases.username,
          ['ingest'],
          config.databases.password,
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
      // a warning engine in this process goes first when it is behind: ingest's work is safe in
      // its journal and can wait a moment, a breakage warning cannot
      const defer = () => analysis !== null && analysis.lagMs() > ANALYSIS_PRIORITY_LAG_MS;
      ingest = new IngestService({ config, store, logger, metrics, source, defer });
      await ingest.start();
      const i = ingest;
      started.push({ name: 'ingest', stop: () => i.stop() });
    }

    if (has(config, 'analysis')) {
      let transport: AnalysisTransport;
      if (broker !== null && config.analysis.transport === 'auto') {
        transport = { kind: 'in-process', aedes: broker.aedes };
      } else {
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
        transport = { kind: 'mqtt', url: brokerUrl, password };
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
        transport,
        store,
        plantOf: (_tenant, machine) => r?.get(machine)?.plant,
      });
      await analysis.start();
      const an = analysis;
      started.push({ name: 'analysis', stop: () => an.stop() });
    }

    if (has(config, 'databases')) {
      const log = logger.child({ svc: 'databases' });
      let source: MessageSource;
      if (broker !== null && config.databases.transport === 'auto') {
        source = inProcessSource(broker.aedes, log);
      } else {
        if (!brokerUrl)
          throw new SawBrainError('CONFIG_INVALID', 'databases needs SAWBRAIN_BROKER_URL or the broker role');
        let password = config.databases.password;
        if (!password) {
          if (!has(config, 'broker')) {
            throw new SawBrainError(
              'CONFIG_INVALID',
              'databases without the broker role needs SAWBRAIN_DATABASES_PASSWORD',
            );
          }
          // read-only on the fleet's topics: the ingest scope
          password = await ensureServicePassword(registry!, config.databases.username, ['ingest']);
        }
        source = mqttSource({
          url: brokerUrl,
          clientId: config.databases.clientId,
          username: config.databases.username,
          password,
          logger: log,
        });
      }
      if (!store) {
        store = createStore(config, logger);
        await store.start();
        const s = store;
        started.push({ name: 'store', stop: () => s.stop() });
      }
      const an = analysis;
      databases = new DatabasesService({
        config,
        seeds: loadSeeds(join(import.meta.dirname, '../../seeds')),
        logger,
        metrics,
        store,
        source,
        ...(registry ? { registry } : {}),
        learned: () => {
          try {
            return an?.learnedState();
          } catch {
            return undefined; // analysis not running (yet): rollups go without its state
          }
        },
      });
      await databases.start();
      const d = databases;
      started.push({ name: 'databases', stop: () => d.stop() });
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
      if (!store) {
        // the API reads the operations and algorithms databases
        store = createStore(config, logger);
        await store.start();
        const s = store;
        started.push({ name: 'store', stop: () => s.stop() });
      }
      const seeds = loadSeeds(join(import.meta.dirname, '../../seeds'));
      api = await createApiServer({
        config,
        logger,
        metrics,
        registry: registry!,
        seeds,
        store,
        analysis,
        // the read side of the four databases: the builder's own when it runs here, else a reader
        // over the shared store (it is stateless over it)
        databases:
          databases?.reader ??
          new DatabaseReader({
            store,
            directory: new MachineDirectory(seeds, registry!),
            seeds,
            minBucket: config.databases.minBucket,
          }),
        brokerUrl: brokerUrl ?? null,
        brokerInProcess: broker !== null,
        status: {
          readiness: {
            ...(store ? { store: () => store!.ping() } : {}),
            ...(broker ? { broker: () => true } : {}),
          },
          status: () => statusCards({ registry, ingest, analysis, fleet, store, urls, databases }),
        },
      });
      const a = api;
      started.push({ name: 'http', stop: () => a.stop() });
      urls.http = await api.listen();
      if (api.bootstrapKey) {
        // the secret goes to the start banner (services/app/main.ts) only, never into the log stream
        logger.warn(
          { keyId: api.keys.list({ role: 'admin' })[0]?.keyId },
          'first start: an admin API key was created and is printed once in the start banner (more: `sawbrain key add --role admin`; docs/api.md)',
        );
      }
    }
  } catch (err) {
    await stopAll();
    throw err;
  }

  return {
    config,
    metrics,
    urls,
    registry,
    store,
    broker,
    ingest,
    analysis,
    fleet,
    api,
    databases,
    stop: stopAll,
  };
}

async function statusCards(parts: {
  databases?: DatabasesService | null;
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
  if (parts.databases) {
    const d = parts.databases.stats();
    cards.push({
      title: 'databases',
      value: d.pointsWritten,
      sub: `points built for ${d.machines} machines (operations, supply chain, market, algorithms)`,
    });
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
