import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import {
  AttributeIds,
  ClientMonitoredItem,
  type ClientSession,
  type ClientSubscription,
  DataType,
  type DataValue,
  MessageSecurityMode,
  OPCUAClient,
  SecurityPolicy,
  TimestampsToReturn,
  UserTokenType,
} from 'node-opcua-client';
import type { Sample } from '../../../services/contracts/index.js';
import type { TelemetryVariable } from '../../../services/contracts/variables.js';
import type { Logger } from '../../../services/core/logger.js';
import { decodeStatus, type StatusKey } from '../status.js';
import type { ControllerAdapter, ControllerReading, WriteTarget } from '../types.js';
import type { NodeRef, OpcuaAdapterConfig } from './config.js';
import { routeOpcuaLogs } from './logging.js';

type Key = `v:${string}` | `s:${StatusKey}`;

/** A DataValue's number (booleans as 0/1); undefined when bad or not a scalar number. */
function numberOf(dv: DataValue): number | undefined {
  if (!dv.statusCode.isGood()) return undefined;
  const v: unknown = dv.value?.value;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return undefined;
}

/**
 * OPC UA controller (node-opcua client). In `subscription` mode a monitored item per node keeps
 * the latest value and a read takes the cache; in `poll` mode each read is one Read call.
 * Commands are Value writes of the configured data type, confirmed by a read.
 */
export class OpcuaAdapter implements ControllerAdapter {
  readonly protocol = 'opcua';
  readonly capabilities: readonly TelemetryVariable[];
  readonly writable: readonly WriteTarget[];
  private readonly refs: [Key, NodeRef][];
  private client: OPCUAClient | undefined;
  private session: ClientSession | undefined;
  private subscription: ClientSubscription | undefined;
  private readonly latest = new Map<Key, number>();
  private lost = false;
  private readonly written = new Map<WriteTarget, number>();

  constructor(
    private readonly cfg: OpcuaAdapterConfig,
    private readonly o: { log: Logger; pkiDir: string; sampleIntervalMs: number },
  ) {
    routeOpcuaLogs(o.log);
    this.capabilities = Object.keys(cfg.nodes) as TelemetryVariable[];
    this.writable = Object.keys(cfg.commands) as WriteTarget[];
    this.refs = [
      ...Object.entries(cfg.nodes).map(([k, r]) => [`v:${k}`, r] as [Key, NodeRef | undefined]),
      ...Object.entries(cfg.status).map(([k, r]) => [`s:${k}`, r] as [Key, NodeRef | undefined]),
    ].filter((e): e is [Key, NodeRef] => e[1] !== undefined);
  }

  async connect(): Promise<void> {
    await this.close();
    const cfg = this.cfg;
    const client = OPCUAClient.create({
      applicationName: 'SawBrain edge gateway',
      endpointMustExist: false,
      securityMode: MessageSecurityMode[cfg.securityMode],
      securityPolicy: SecurityPolicy[cfg.securityPolicy],
      requestedSessionTimeout: 60_000,
      defaultTransactionTimeout: cfg.requestTimeoutMs,
      connectionStrategy: { maxRetry: 1, initialDelay: 200, maxDelay: 2000 },
      clientCertificateManager: new OPCUACertificateManager({
        rootFolder: cfg.pkiDir ?? this.o.pkiDir,
        automaticallyAcceptUnknownCertificate: true,
      }),
    });
    client.on('connection_lost', () => {
      this.lost = true;
      this.o.log.warn({ endpoint: cfg.endpointUrl }, 'opc ua connection lost');
    });
    client.on('connection_reestablished', () => {
      this.lost = false;
      this.o.log.info({ endpoint: cfg.endpointUrl }, 'opc ua connection re-established');
    });
    this.client = client;
    await client.connect(cfg.endpointUrl);
    this.session = await client.createSession(
      cfg.userName
        ? { type: UserTokenType.UserName, userName: cfg.userName, password: cfg.password ?? '' }
        : undefined,
    );
    this.lost = false;
    if (cfg.mode === 'subscription') await this.subscribe(this.session);
    this.o.log.info(
      { endpoint: cfg.endpointUrl, mode: cfg.mode, nodes: this.refs.length },
      'opc ua connected',
    );
  }

  private async subscribe(session: ClientSession): Promise<void> {
    const sub = await session.createSubscription2({
      requestedPublishingInterval: this.cfg.publishingIntervalMs,
      requestedLifetimeCount: 600,
      requestedMaxKeepAliveCount: 20,
      maxNotificationsPerPublish: 0,
      publishingEnabled: true,
      priority: 1,
    });
    this.subscription = sub;
    const samplingInterval = this.cfg.samplingIntervalMs ?? this.o.sampleIntervalMs;
    for (const [key, ref] of this.refs) {
      const item = ClientMonitoredItem.create(
        sub,
        { nodeId: ref.nodeId, attributeId: AttributeIds.Value },
        { samplingInterval, discardOldest: true, queueSize: 1 },
        TimestampsToReturn.Both,
      );
      item.on('changed', (dv: DataValue) => {
        const v = numberOf(dv);
        if (v === undefined) this.latest.delete(key);
        else this.latest.set(key, v * ref.scale + ref.offset);
      });
      item.on('err', (message: string) =>
        this.o.log.warn({ nodeId: ref.nodeId, message }, 'monitored item failed'),
      );
    }
  }

  async read(now: number): Promise<ControllerReading> {
    const session = this.ready();
    if (this.cfg.mode === 'poll') {
      const values = await session.read(
        this.refs.map(([, r]) => ({ nodeId: r.nodeId, attributeId: AttributeIds.Value })),
      );
      this.latest.clear();
      values.forEach((dv, i) => {
        const [key, ref] = this.refs[i]!;
        const v = numberOf(dv);
        if (v !== undefined) this.latest.set(key, v * ref.scale + ref.offset);
      });
    }
    const sample: Record<string, number> = { ts: now };
    const raw: Partial<Record<StatusKey, number>> = {};
    let variables = 0;
    for (const [key, value] of this.latest) {
      if (key.startsWith('v:')) {
        sample[key.slice(2)] = value;
        variables++;
      } else raw[key.slice(2) as StatusKey] = value;
    }
    return {
      samples: variables > 0 ? [sample as Sample] : [],
      status: decodeStatus(raw, this.cfg.modeCodes, this.cfg.alarmSeverities),
    };
  }

  async write(target: WriteTarget, value: number): Promise<void> {
    const session = this.ready();
    const ref = this.command(target);
    this.written.set(target, value);
    const raw = (value - ref.offset) / ref.scale;
    const typed =
      ref.dataType === 'Boolean' ? raw !== 0 : ref.dataType.includes('Int') ? Math.round(raw) : raw;
    const status = await session.write({
      nodeId: ref.nodeId,
      attributeId: AttributeIds.Value,
      value: { value: { dataType: DataType[ref.dataType], value: typed } },
    });
    if (!status.isGood()) throw new Error(`write ${ref.nodeId} refused: ${status.name}`);
  }

  resolution(target: WriteTarget): number {
    const ref = this.command(target);
    return ref.dataType === 'Boolean' ? 1 : ref.dataType.includes('Int') ? Math.abs(ref.scale) : 0;
  }

  async readBack(target: WriteTarget): Promise<number> {
    const ref = this.command(target);
    const written = this.written.get(target);
    if (!ref.verify && written !== undefined) return written;
    const session = this.ready();
    const dv = await session.read({ nodeId: ref.nodeId, attributeId: AttributeIds.Value });
    const v = numberOf(dv);
    if (v === undefined) throw new Error(`read back ${ref.nodeId}: ${dv.statusCode.name}`);
    return v * ref.scale + ref.offset;
  }

  async close(): Promise<void> {
    const { client, session, subscription } = this;
    this.client = undefined;
    this.session = undefined;
    this.subscription = undefined;
    this.latest.clear();
    const quietly = async (f: () => Promise<unknown>) => {
      try {
        await f();
      } catch (err) {
        this.o.log.debug({ err: String(err) }, 'opc ua close step failed');
      }
    };
    if (subscription) await quietly(() => subscription.terminate());
    if (session) await quietly(() => session.close());
    if (client) await quietly(() => client.disconnect());
  }

  private ready(): ClientSession {
    if (!this.session || this.lost) throw new Error(`opc ua ${this.cfg.endpointUrl} not connected`);
    return this.session;
  }

  private command(target: WriteTarget) {
    const ref = this.cfg.commands[target];
    if (!ref) throw new RangeError(`no OPC UA node configured for ${target}`);
    return ref;
  }
}
