import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './ports.js';

/**
 * A throw-away InfluxDB 1.x server (Debian's influxd) for integration tests: its own temp dir,
 * loopback ports, no auth, no reporting. `kill()` + `restart()` keep the port and the data, so
 * outage tests can stop the server and bring the same one back.
 */
export const INFLUXD_BIN = process.env.SAWBRAIN_INFLUXD ?? '/usr/bin/influxd';

export interface InfluxdHandle {
  /** base URL, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** stops the server for good and removes its temp dir */
  stop(): Promise<void>;
  /** stops the server (SIGTERM, SIGKILL after 5 s) but keeps port and data for restart() */
  kill(): Promise<void>;
  /** starts the killed server again on the same port and data dir, waits for /ping */
  restart(): Promise<void>;
  /** freezes the process (SIGSTOP): connections are accepted but never answered */
  pause(): void;
  /** thaws a paused process (SIGCONT) */
  resume(): void;
}

export function influxdAvailable(): boolean {
  try {
    accessSync(INFLUXD_BIN, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Why influxd tests must be skipped, or null when they must run. Locally a missing influxd skips
 * with this reason; in CI (CI set) it never skips: startInfluxd() then fails loudly.
 */
export function influxdSkipReason(): string | null {
  if (influxdAvailable() || process.env.CI) return null;
  return `${INFLUXD_BIN} is not installed (apt-get install influxdb); set CI=true to make this fail`;
}

function configText(dir: string, httpPort: number, rpcPort: number): string {
  return `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = "${join(dir, 'meta')}"
  logging-enabled = false

[data]
  dir = "${join(dir, 'data')}"
  wal-dir = "${join(dir, 'wal')}"
  query-log-enabled = false
  trace-logging-enabled = false
  wal-fsync-delay = "0s"

[coordinator]
  log-queries-after = "0s"

[retention]
  enabled = false

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  auth-enabled = false
  log-enabled = false
  write-tracing = false
  pprof-enabled = false
  max-row-limit = 0

[logging]
  level = "error"
  suppress-logo = true

[continuous_queries]
  enabled = false

[subscriber]
  enabled = false
`;
}

async function pingOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
    return res.status === 204;
  } catch {
    return false;
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = exited(child);
  child.kill('SIGCONT');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await done;
  clearTimeout(timer);
}

export async function startInfluxd(): Promise<InfluxdHandle> {
  if (!influxdAvailable()) {
    throw new Error(
      `influxd not found at ${INFLUXD_BIN}: install InfluxDB 1.x (apt-get install influxdb) or set SAWBRAIN_INFLUXD`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'sawbrain-influxd-'));
  const [httpPort, rpcPort] = [await freePort(), await freePort()];
  const configPath = join(dir, 'influxd.conf');
  writeFileSync(configPath, configText(dir, httpPort, rpcPort));
  const url = `http://127.0.0.1:${httpPort}`;
  let child: ChildProcess | null = null;
  let output = '';

  const launch = async (): Promise<void> => {
    output = '';
    const proc = spawn(INFLUXD_BIN, ['run', '-config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    // never leave a server behind when the test process ends without calling stop()
    const reap = () => proc.kill('SIGKILL');
    process.once('exit', reap);
    proc.once('exit', () => process.removeListener('exit', reap));
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    try {
      await waitFor(async () => {
        if (proc.exitCode !== null) throw new Error(`influxd exited with ${proc.exitCode}`);
        return pingOk(url);
      }, 30_000);
    } catch (err) {
      await terminate(proc);
      throw new Error(`influxd did not come up on ${url}: ${String(err)}\n${output}`);
    }
  };

  const kill = async (): Promise<void> => {
    if (child) await terminate(child);
    child = null;
  };

  try {
    await launch();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    url,
    port: httpPort,
    dir,
    kill,
    restart: async () => {
      await kill();
      await launch();
    },
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
