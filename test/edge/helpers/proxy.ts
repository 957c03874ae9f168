import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A pausable TCP proxy on loopback standing in for the factory uplink. `cut()` drops every
 * connection and refuses new ones (the link is down); `restore()` lets connections through again.
 */
export class PausableProxy {
  private server: Server | undefined;
  private readonly pairs = new Set<[Socket, Socket]>();
  private down = false;
  port = 0;
  /** connections accepted while up */
  accepted = 0;

  constructor(
    private readonly targetPort: number,
    private readonly targetHost = '127.0.0.1',
  ) {}

  async start(): Promise<number> {
    const server = createServer((client) => this.accept(client));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const addr = server.address();
    this.port = typeof addr === 'object' && addr ? addr.port : 0;
    return this.port;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  get isDown(): boolean {
    return this.down;
  }

  private accept(client: Socket): void {
    if (this.down) {
      client.destroy();
      return;
    }
    this.accepted++;
    const upstream = createConnection({ port: this.targetPort, host: this.targetHost });
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.pairs.delete(pair);
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** The link goes down: live connections are reset, new ones refused. */
  cut(): void {
    this.down = true;
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    this.pairs.clear();
  }

  restore(): void {
    this.down = false;
  }

  async stop(): Promise<void> {
    this.cut();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
