import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import { DataType, MessageSecurityMode, SecurityPolicy, StatusCodes, Variant } from 'node-opcua-client';
import { OPCUAServer } from 'node-opcua-server';
import { routeOpcuaLogs } from '../../../edge/adapters/opcua/logging.js';
import { silentLogger } from '../../../services/core/logger.js';
import { freePort } from '../../helpers/ports.js';

// node-opcua prints diagnostics to the console once loaded; keep the test output clean
routeOpcuaLogs(silentLogger());

export interface PlcNode {
  name: string;
  dataType: 'Double' | 'Boolean' | 'UInt16';
  value: number | boolean;
}

/**
 * A saw PLC stand-in: node-opcua's OPCUAServer on loopback (security None, anonymous) with an
 * object `Saw` whose variables have string node ids `ns=1;s=Saw.<name>`. Values are read from
 * and written to `values`; `set` changes one as the PLC program would.
 */
export class OpcuaPlc {
  readonly values = new Map<string, number | boolean>();
  readonly writes: { name: string; value: number | boolean }[] = [];
  private server: OPCUAServer | undefined;
  private dir = '';
  endpointUrl = '';
  namespaceIndex = 1;

  constructor(private readonly nodes: readonly PlcNode[]) {}

  nodeId(name: string): string {
    return `ns=${this.namespaceIndex};s=Saw.${name}`;
  }

  private port = 0;

  /** starts on a free port, or on the port it had (a PLC coming back after a power cycle) */
  async start(samePort = false): Promise<void> {
    if (!samePort || this.port === 0) this.port = await freePort();
    this.dir ||= mkdtempSync(join(tmpdir(), 'sawbrain-opcua-plc-'));
    const manager = (folder: string) =>
      new OPCUACertificateManager({
        rootFolder: join(this.dir, folder),
        automaticallyAcceptUnknownCertificate: true,
      });
    const server = new OPCUAServer({
      port: this.port,
      hostname: '127.0.0.1',
      securityModes: [MessageSecurityMode.None],
      securityPolicies: [SecurityPolicy.None],
      allowAnonymous: true,
      serverCertificateManager: manager('server'),
      userCertificateManager: manager('user'),
    });
    this.server = server;
    await server.initialize();
    const space = server.engine.addressSpace!;
    const ns = space.getOwnNamespace();
    this.namespaceIndex = ns.index;
    const saw = ns.addObject({ organizedBy: space.rootFolder.objects, browseName: 'Saw' });
    for (const n of this.nodes) {
      if (!this.values.has(n.name)) this.values.set(n.name, n.value);
      ns.addVariable({
        componentOf: saw,
        browseName: n.name,
        nodeId: `s=Saw.${n.name}`,
        dataType: n.dataType,
        minimumSamplingInterval: 20,
        value: {
          get: () => new Variant({ dataType: DataType[n.dataType], value: this.values.get(n.name) }),
          set: (v: Variant) => {
            this.values.set(n.name, v.value as number | boolean);
            this.writes.push({ name: n.name, value: v.value as number | boolean });
            return StatusCodes.Good;
          },
        },
      });
    }
    await server.start();
    this.endpointUrl = server.getEndpointUrl();
  }

  set(name: string, value: number | boolean): void {
    this.values.set(name, value);
  }

  /** shuts the server down; `keepFiles` keeps its PKI for a restart */
  async stop(keepFiles = false): Promise<void> {
    await this.server?.shutdown(0);
    this.server = undefined;
    if (this.dir && !keepFiles) {
      rmSync(this.dir, { recursive: true, force: true });
      this.dir = '';
    }
  }
}
