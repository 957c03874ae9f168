import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { GatewayConfig } from '../../../edge/config.js';
import type { HealthReport } from '../../../edge/gateway.js';
import { waitFor } from '../../helpers/ports.js';

const ROOT = resolve(import.meta.dirname, '../../..');

/**
 * The gateway as its own process (`node --import tsx edge/main.ts --config …`), so a test can
 * SIGKILL it like a power cut and start it again on the same data dir.
 */
export class GatewayProcess {
  private child: ChildProcess | undefined;
  private output = '';
  readonly configPath: string;
  starts = 0;

  constructor(private readonly config: GatewayConfig) {
    if (!config.http) throw new Error('the gateway process needs config.http for its health endpoint');
    this.configPath = join(config.dataDir, 'gateway.json');
    writeFileSync(this.configPath, JSON.stringify(config));
  }

  get healthUrl(): string {
    return `http://127.0.0.1:${this.config.http!.port}/health`;
  }

  async start(): Promise<void> {
    this.output = '';
    const child = spawn(process.execPath, ['--import', 'tsx', 'edge/main.ts', '--config', this.configPath], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SAWBRAIN_EDGE_PASSWORD: '' },
    });
    this.child = child;
    this.starts++;
    const reap = () => child.kill('SIGKILL');
    process.once('exit', reap);
    child.once('exit', () => process.removeListener('exit', reap));
    const keep = (d: Buffer) => {
      this.output = (this.output + d.toString()).slice(-8000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`gateway exited ${child.exitCode}: ${this.output}`);
      return (await this.health().catch(() => null)) !== null;
    }, 30_000);
  }

  async health(): Promise<HealthReport> {
    const res = await fetch(this.healthUrl, { signal: AbortSignal.timeout(2000) });
    return (await res.json()) as HealthReport;
  }

  private exited(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((r) => child.once('exit', () => r()));
  }

  /** Power cut: SIGKILL, nothing flushed. */
  async kill(): Promise<void> {
    const done = this.exited();
    this.child?.kill('SIGKILL');
    await done;
  }

  /** Graceful stop (SIGTERM); SIGKILL after 15 s. */
  async stop(): Promise<void> {
    const done = this.exited();
    this.child?.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), 15_000);
    await done;
    clearTimeout(timer);
  }

  get log(): string {
    return this.output;
  }
}
