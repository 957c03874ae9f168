import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

export const root = join(import.meta.dirname, '../..');

export interface PublisherConfig {
  url: string;
  machines: { id: string; tenant: string; password: string }[];
  mode: 'closed' | 'open' | 'idle';
  qos?: 0 | 1;
  rate?: number;
  durationMs: number;
  inflight?: number;
  samplesPerMessage?: number;
  t0: number;
  connectConcurrency?: number;
}

export interface PublisherResult {
  published: number;
  errors: number;
  elapsedMs: number;
  samples: number;
}

/** Runs bench/publisher.ts in a child process; `onConnected` fires once every client is up. */
export function runPublisher(
  cfg: PublisherConfig,
  onConnected?: (pid: number) => void,
): Promise<PublisherResult> {
  return new Promise((resolve, reject) => {
    const child = fork(join(root, 'bench/publisher.ts'), [JSON.stringify(cfg)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('message', (m: { type: string; message?: string } & PublisherResult) => {
      if (m.type === 'connected') onConnected?.(child.pid!);
      else if (m.type === 'done') resolve(m);
      else if (m.type === 'error') reject(new Error(m.message));
    });
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`publisher exited with ${code}`));
    });
  });
}

/** Resident set size of a process in bytes (Linux /proc). */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb * 1024;
}

export function machineDescription(): Record<string, string | number> {
  const cpu = cpus()[0];
  return {
    cpu: cpu?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Progress on stderr: one line per step, so logs of CI or a terminal both read well. */
export function progress(scenario: string, message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${scenario}: ${message}\n`);
}

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits });
