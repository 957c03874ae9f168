import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { freePort } from '../../test/helpers/ports.js';
import { root, sleep } from './common.js';

export interface ServerProcess {
  pid: number;
  url: string;
  stop(): Promise<void>;
}

async function waitForMqtt(url: string, auth: { username: string; password: string }, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const c = await mqtt.connectAsync(url, {
        ...auth,
        clientId: `probe-${Date.now()}`,
        reconnectPeriod: 0,
        connectTimeout: 2000,
      });
      await c.endAsync();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(200);
    }
  }
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    });
}

/** Debian's Mosquitto broker and its password tool (the broker scenario's baseline). */
export const MOSQUITTO_BIN = '/usr/sbin/mosquitto';
export const MOSQUITTO_PASSWD_BIN = '/usr/bin/mosquitto_passwd';

/** SawBrain (roles as given) in its own process, so its RSS and CPU are its own. */
export async function startSawbrainProcess(
  dataDir: string,
  roles: string,
  probe: { username: string; password: string },
  env: Record<string, string> = {},
  /** extra node flags, e.g. `--cpu-prof` (bench --profile) */
  nodeArgs: string[] = [],
): Promise<ServerProcess> {
  const port = await freePort();
  // as `npm start`, the Dockerfile and docker-compose.yml run it
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'services/app/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      SAWBRAIN_ROLES: roles,
      SAWBRAIN_DATA_DIR: dataDir,
      SAWBRAIN_MQTT_HOST: '127.0.0.1',
      SAWBRAIN_MQTT_PORT: String(port),
      SAWBRAIN_MQTT_WS_PORT: '0',
      SAWBRAIN_LOG_LEVEL: 'error',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `mqtt://127.0.0.1:${port}`;
  await waitForMqtt(url, probe);
  return { pid: child.pid!, url, stop: stopper(child) };
}

/**
 * Debian's Mosquitto with the equivalent of SawBrain's security: no anonymous access, a
 * password file (mosquitto_passwd hashes), and an ACL where a machine writes only its own
 * telemetry topic and the subscriber reads the fleet.
 */
export async function startMosquitto(
  dir: string,
  machines: { id: string; password: string }[],
  subscriber: { username: string; password: string },
): Promise<ServerProcess> {
  const port = await freePort();
  const passwd = join(dir, 'passwd');
  writeFileSync(
    passwd,
    [...machines.map((m) => `${m.id}:${m.password}`), `${subscriber.username}:${subscriber.password}`].join(
      '\n',
    ),
  );
  execFileSync(MOSQUITTO_PASSWD_BIN, ['-U', passwd]);
  const acl = join(dir, 'acl');
  writeFileSync(
    acl,
    `user ${subscriber.username}\ntopic read sawbrain/v1/#\n\npattern write sawbrain/v1/bench/%u/telemetry\n`,
  );
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous false',
      `password_file ${passwd}`,
      `acl_file ${acl}`,
      'persistence false',
      'max_queued_messages 100000',
      'log_type error',
      'log_dest stderr',
    ].join('\n'),
  );
  // started as root, mosquitto drops to its own user: it must be able to read its files
  chmodSync(dir, 0o755);
  for (const f of [passwd, acl, conf]) chmodSync(f, 0o644);
  const child = spawn(MOSQUITTO_BIN, ['-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `mqtt://127.0.0.1:${port}`;
  await waitForMqtt(url, subscriber);
  return { pid: child.pid!, url, stop: stopper(child) };
}
