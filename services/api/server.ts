import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { AnalysisService } from '../analysis/index.js';
import { ensureServicePassword } from '../app/provision.js';
import { AuditLog, BrokerLink, CommandService, CommandStore } from '../commands/index.js';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { TelemetryStore } from '../core/ports.js';
import type { DatabasesReadApi } from '../databases/read-api.js';
import { ApiKeyStore, type MachineRegistry } from '../registry/index.js';
import type { Seeds } from '../seeds/index.js';
import { buildApiApp } from './app.js';
import type { StatusSources } from './deps.js';
import { LiveHub } from './live.js';

export interface ApiServerOptions {
  config: Config;
  logger: Logger;
  metrics: Registry;
  registry: MachineRegistry;
  seeds: Seeds;
  store: TelemetryStore | null;
  analysis: AnalysisService | null;
  databases: DatabasesReadApi | null;
  status: StatusSources;
  /** the broker for commands and the live stream; null: neither is offered */
  brokerUrl: string | null;
  /** the broker runs in this process (the API's broker password may then be generated) */
  brokerInProcess: boolean;
}

/** The running HTTP API and what tests and the CLI reach through it. */
export interface ApiServer {
  readonly app: FastifyInstance;
  readonly keys: ApiKeyStore;
  readonly audit: AuditLog;
  readonly commands: CommandService | null;
  readonly link: BrokerLink | null;
  /** the admin key created at first start (only then; it is never shown again) */
  readonly bootstrapKey: string | null;
  listen(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Builds the HTTP API's parts (key store, audit log, command store, broker link, command service,
 * live hub) and the Fastify app from the composition root's components. On a fresh install it
 * makes the first admin key: SAWBRAIN_API_ADMIN_KEY when given, else (SAWBRAIN_API_BOOTSTRAP_ADMIN,
 * default on) a generated one the composition root prints once.
 */
export async function createApiServer(o: ApiServerOptions): Promise<ApiServer> {
  const { config } = o;
  const log = o.logger.child({ svc: 'api' });
  const keys = ApiKeyStore.open(config.dataDir);
  const audit = AuditLog.open(config.dataDir);
  const commandStore = CommandStore.open(config.dataDir);
  const closers: (() => Promise<void> | void)[] = [
    () => keys.close(),
    () => audit.close(),
    () => commandStore.close(),
  ];
  const stop = async () => {
    for (const c of closers.splice(0).reverse()) {
      try {
        await c();
      } catch (err) {
        log.error({ err }, 'API stop step failed');
      }
    }
  };
  try {
    let bootstrapKey: string | null = null;
    if (config.api.adminKey) {
      if (!keys.has(config.api.adminKey))
        keys.create({ role: 'admin', label: 'SAWBRAIN_API_ADMIN_KEY' }, 'env', config.api.adminKey);
    } else if (config.api.bootstrapAdmin && keys.activeAdmins() === 0) {
      bootstrapKey = keys.create({ role: 'admin', label: 'bootstrap admin (first start)' }, 'bootstrap').key;
    }

    let link: BrokerLink | null = null;
    let commands: CommandService | null = null;
    if (o.brokerUrl) {
      let password = config.api.password;
      if (password) {
        if (o.brokerInProcess)
          await ensureServicePassword(o.registry, config.api.username, ['commander', 'ingest'], password);
      } else if (o.brokerInProcess) {
        password = await ensureServicePassword(o.registry, config.api.username, ['commander', 'ingest']);
      }
      if (password) {
        link = new BrokerLink({
          url: o.brokerUrl,
          clientId: config.api.clientId,
          username: config.api.username,
          password,
          logger: o.logger,
        });
        await link.start();
        const l = link;
        closers.push(() => l.stop());
        commands = new CommandService({
          store: commandStore,
          audit,
          link,
          logger: o.logger,
          metrics: o.metrics,
          ttlMs: config.api.commandTtlMs,
          maxTtlMs: config.api.commandMaxTtlMs,
        });
        commands.start();
        const c = commands;
        closers.push(() => c.stop());
      } else {
        log.warn('no SAWBRAIN_API_PASSWORD: commands and the live stream are off');
      }
    }
    const live = link ? new LiveHub(link, commands) : null;
    live?.start();
    if (live) closers.push(() => live.stop());

    const l = link;
    const app = await buildApiApp({
      config,
      logger: o.logger,
      metrics: o.metrics,
      status: l
        ? { ...o.status, readiness: { ...o.status.readiness, 'api-broker-link': () => l.connected } }
        : o.status,
      registry: o.registry,
      keys,
      audit,
      seeds: o.seeds,
      store: o.store,
      analysis: o.analysis,
      databases: o.databases,
      commands,
      live,
    });
    closers.push(() => app.close());
    return {
      app,
      keys,
      audit,
      commands,
      link,
      bootstrapKey,
      stop,
      listen: async () => {
        await app.listen({ host: config.http.host, port: config.http.port });
        const address = app.server.address() as AddressInfo;
        const host = config.http.host === '0.0.0.0' ? 'localhost' : config.http.host;
        return `http://${host}:${address.port}`;
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
