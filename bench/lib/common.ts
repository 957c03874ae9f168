import { fork } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
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

/** Runs a bench script in a child process; `onConnected` fires once its clients are up. */
function runChild<R>(script: string, cfg: object, onConnected?: (pid: number) => void): Promise<R> {
  return new Promise((resolve, reject) => {
    const child = fork(join(root, script), [JSON.stringify(cfg)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('message', (m: { type: string; message?: string } & R) => {
      if (m.type === 'connected') onConnected?.(child.pid!);
      else if (m.type === 'done') resolve(m);
      else if (m.type === 'error') reject(new Error(m.message));
    });
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`${script} exited with ${code}`));
    });
  });
}

/** Runs bench/publisher.ts in a child process; `onConnected` fires once every client is up. */
export function runPublisher(
  cfg: PublisherConfig,
  onConnected?: (pid: number) => void,
): Promise<PublisherResult> {
  return runChild('bench/publisher.ts', cfg, onConnected);
}

export interface ProbeConfig {
  url: string;
  machines: { id: string; tenant: string; password: string }[];
  durationMs: number;
  warmupMs?: number;
  graceMs?: number;
}

export interface ProbeResult {
  fired: number;
  /** publish → warning, ms, one per breakage whose warning arrived */
  latencies: number[];
  /** per breakage, in firing order: [ms since the probe started, latency ms or null] */
  timeline: [number | null, number | null][];
  missing: number;
  errors: number;
  elapsedMs: number;
}

/** Runs bench/probe.ts (blade breakages, warning latency) in a child process. */
export function runProbe(cfg: ProbeConfig, onConnected?: (pid: number) => void): Promise<ProbeResult> {
  return runChild('bench/probe.ts', cfg, onConnected);
}

/** Nearest-rank percentile of ascending `sorted` (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** CPU seconds (user + system) a process has used so far (Linux /proc). */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
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

/** Pid of a direct child of this process by command name (e.g. the bench's influxd), or null. */
export function childPid(comm: string): number | null {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (name === comm && ppid === process.pid) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return null;
}

/**
 * CPU use of named processes over a span, in cores (1 = one core busy all along), sampled
 * every 250 ms so that a process that exits before the end still counts up to its last sample.
 */
export class CpuSampler {
  private readonly first = new Map<string, { t: number; cpu: number }>();
  private readonly last = new Map<string, { t: number; cpu: number }>();
  private readonly pids = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(pids: Record<string, number | null>) {
    for (const [name, pid] of Object.entries(pids)) if (pid) this.add(name, pid);
    this.timer = setInterval(() => this.sample(), 250);
  }

  add(name: string, pid: number): void {
    this.pids.set(name, pid);
    this.sample();
  }

  private sample(): void {
    const t = performance.now();
    for (const [name, pid] of this.pids) {
      try {
        const cpu =
          pid === process.pid
            ? process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6
            : cpuSecondsOf(pid);
        if (!this.first.has(name)) this.first.set(name, { t, cpu });
        this.last.set(name, { t, cpu });
      } catch {
        this.pids.delete(name); // exited
      }
    }
  }

  stop(): Record<string, number> {
    this.sample();
    clearInterval(this.timer);
    const out: Record<string, number> = {};
    for (const [name, a] of this.first) {
      const b = this.last.get(name)!;
      out[name] = b.t > a.t ? (b.cpu - a.cpu) / ((b.t - a.t) / 1000) : 0;
    }
    return out;
  }
}
