import type { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Aedes, type AedesOptions, type Connection } from 'aedes';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { MetricsRegistry } from '../core/metrics.js';
import type { MachineRegistry } from '../registry/registry.js';
import { createAuthHooks } from './auth.js';
import { disableDuplicateFilter } from './dedupe-order.js';
import { type BrokerMetrics, createBrokerMetrics } from './metrics.js';
import { guardStream, type ScanViolation } from './packet-guard.js';
import { type BrokerPersistence, createPersistence } from './persistence.js';
import { RevocationWatcher } from './revocation.js';
import { SessionTable } from './sessions.js';
import { LoginThrottle } from './throttle.js';

export interface BrokerServiceOptions {
  config: Config['mqtt'];
  registry: MachineRegistry;
  logger: Logger;
  metrics: MetricsRegistry;
  /**
   * Overrides config.wsPort: a number listens there (0 = a free port), null disables WebSocket.
   * Without it, config.wsPort applies, where 0 means disabled (see core/config).
   */
  wsPort?: number | null;
  /** how often the registry revision is polled for rotations/revocations (default 1000 ms) */
  revocationPollMs?: number;
}

export interface BrokerService {
  start(): Promise<{ port: number; wsPort: number | null }>;
  stop(): Promise<void>;
  /** the aedes instance (after start) */
  readonly aedes: Aedes;
  /** closes every live connection of a username; returns how many */
  disconnectPrincipal(username: string): number;
}

type Transport = 'tcp' | 'ws';

function closeServer(server: { close(cb: (err?: Error) => void): unknown }): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

export function createBrokerService(options: BrokerServiceOptions): BrokerService {
  const { config, registry } = options;
  const logger = options.logger.child({ svc: 'broker' });
  const metrics: BrokerMetrics = createBrokerMetrics(options.metrics);
  const sessions = new SessionTable();
  const throttle = new LoginThrottle(config.authFailures);
  const limits = { maxTopicLevels: config.maxTopicLevels };
  const addresses = new WeakMap<Connection, string>();
  const connections = new Set<Duplex>();
  const wsPortSetting =
    options.wsPort !== undefined ? options.wsPort : config.wsPort === 0 ? null : config.wsPort;

  let aedes: Aedes | null = null;
  let tcp: Server | null = null;
  let wss: WebSocketServer | null = null;
  let persistence: BrokerPersistence | null = null;
  let watcher: RevocationWatcher | null = null;
  let stopping: Promise<void> | null = null;

  const hooks = createAuthHooks({
    registry,
    sessions,
    throttle,
    limits,
    metrics,
    logger,
    addressOf: (conn) => addresses.get(conn) ?? 'unknown',
  });

  const onViolation = (transport: Transport, address: string) => (v: ScanViolation) => {
    if (v.kind === 'oversize') {
      metrics.oversizePackets.inc({ transport });
      logger.warn(
        { address, transport, declaredBytes: v.declaredBytes, maxPacketBytes: config.maxPacketBytes },
        'packet above mqtt.maxPacketBytes: connection dropped',
      );
    } else {
      metrics.malformedHeaders.inc({ transport });
      logger.debug({ address, transport, reason: v.reason }, 'malformed packet header: connection dropped');
    }
  };

  /** Every connection, whatever the transport: remember its address, guard its size, hand it to aedes. */
  const accept = (
    stream: Duplex,
    address: string,
    transport: Transport,
    req?: Parameters<Aedes['handle']>[1],
  ) => {
    if (!aedes || stopping) {
      stream.destroy();
      return;
    }
    connections.add(stream);
    stream.once('close', () => connections.delete(stream));
    addresses.set(stream, address);
    guardStream(stream, config.maxPacketBytes, onViolation(transport, address));
    aedes.handle(stream, req);
  };

  async function start(): Promise<{ port: number; wsPort: number | null }> {
    if (aedes) throw new Error('broker already started');
    persistence = await createPersistence(config);
    const aedesOptions: AedesOptions = {
      ...hooks,
      preConnect: (client, packet, callback) => {
        disableDuplicateFilter(client);
        hooks.preConnect!(client, packet, callback);
      },
      connectTimeout: config.connectTimeoutMs,
      keepaliveLimit: config.keepaliveLimitS,
      maxTopicLevels: config.maxTopicLevels,
      maxClientsIdLength: 64,
      drainTimeout: 30_000,
      ...(persistence.persistence ? { persistence: persistence.persistence } : {}),
      ...(persistence.mq ? { mq: persistence.mq } : {}),
    };
    const broker = new Aedes(aedesOptions);
    aedes = broker;
    // persistence failures surface as 'error' on the broker (not in aedes' typings)
    (broker as EventEmitter).on('error', (err: unknown) => logger.error({ err }, 'broker error'));
    broker.on('client', () => metrics.connectedClients.inc());
    broker.on('clientDisconnect', () => metrics.connectedClients.dec());
    broker.on('clientError', (client, err) =>
      logger.debug({ clientId: client.id, err: err.message }, 'client error'),
    );
    broker.on('connectionError', (_client, err) => logger.debug({ err: err.message }, 'connection error'));
    await broker.listen();

    tcp = createServer((socket: Socket) => {
      socket.setNoDelay(true);
      accept(socket, socket.remoteAddress ?? 'unknown', 'tcp');
    });
    tcp.on('error', (err) => logger.error({ err }, 'mqtt tcp server error'));
    const port = await new Promise<number>((resolve, reject) => {
      tcp!.once('error', reject);
      tcp!.listen(config.port, config.host, () => {
        tcp!.off('error', reject);
        resolve((tcp!.address() as AddressInfo).port);
      });
    });

    let wsPort: number | null = null;
    if (wsPortSetting !== null) {
      const server = new WebSocketServer({
        host: config.host,
        port: wsPortSetting,
        // an MQTT packet may not be larger, and one frame should not carry much more
        maxPayload: config.maxPacketBytes + 1024,
        perMessageDeflate: false,
      });
      wss = server;
      server.on('connection', (ws, req) => {
        const stream = createWebSocketStream(ws);
        stream.on('error', () => {});
        accept(stream, req.socket.remoteAddress ?? 'unknown', 'ws', req);
      });
      wsPort = await new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.once('listening', () => {
          server.off('error', reject);
          resolve((server.address() as AddressInfo).port);
        });
      });
      server.on('error', (err) => logger.error({ err }, 'mqtt websocket server error'));
    }

    watcher = new RevocationWatcher({
      registry,
      sessions,
      logger,
      intervalMs: options.revocationPollMs ?? 1000,
      onDisconnect: (n) => metrics.revocationDisconnects.inc(n),
    });
    watcher.start();
    logger.info(
      {
        host: config.host,
        port,
        wsPort,
        persistence: config.persistence,
        maxPacketBytes: config.maxPacketBytes,
      },
      'mqtt broker listening',
    );
    return { port, wsPort };
  }

  async function doStop(): Promise<void> {
    watcher?.stop();
    const closing: Promise<void>[] = [];
    if (tcp) closing.push(closeServer(tcp));
    if (wss) {
      const server = wss;
      closing.push(closeServer(server));
      for (const ws of server.clients) ws.terminate();
    }
    if (aedes) {
      const broker = aedes;
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    }
    // connections that never authenticated are not aedes clients: drop them too
    for (const conn of connections) conn.destroy();
    await Promise.all(closing);
    try {
      await persistence?.close();
    } catch (err) {
      logger.warn({ err }, 'closing broker persistence failed');
    }
    logger.info('mqtt broker stopped');
  }

  return {
    start,
    stop: () => {
      stopping ??= doStop();
      return stopping;
    },
    get aedes(): Aedes {
      if (!aedes) throw new Error('broker not started');
      return aedes;
    },
    disconnectPrincipal: (username) => sessions.disconnect(username),
  };
}
