import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigSchema, ENV_MAP, loadConfig, ROLES } from '../../services/core/config.js';

/**
 * No Docker engine runs here, so docker-compose.yml and the Dockerfile are checked against the
 * code: every container runs an entry point that exists, with roles, environment variables and
 * ports the config understands, and the services it depends on are defined.
 */
const root = join(import.meta.dirname, '../..');
interface ComposeService {
  build?: unknown;
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: string[];
}
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
};
const ours = Object.entries(compose.services).filter(([, s]) => s.build !== undefined);

/** Resolves `${VAR:?msg}` / `${VAR}` the way compose would, with a stand-in secret. */
function resolve(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).map(([k, v]) => [
      k,
      String(v).replace(/\$\{[^}]+\}/g, 'compose-secret-0123456789abcdef'),
    ]),
  );
}

describe('docker-compose.yml against the code', () => {
  it('builds SawBrain services from the Dockerfile, which copies what they need', () => {
    expect(ours.map(([name]) => name).sort()).toEqual(['broker', 'ingest', 'simulator']);
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    for (const dir of ['services', 'seeds', 'dashboards'])
      expect(dockerfile).toContain(`COPY ${dir} ./${dir}`);
    expect(dockerfile).toMatch(/FROM node:20/);
    expect(dockerfile).toContain('npm ci');
  });

  it.each(ours)('%s: entry point exists, env vars are known, config parses', (_name, service) => {
    const entry = service.command?.find((a) => a.endsWith('.ts'));
    expect(entry && existsSync(join(root, entry)), `entry ${entry}`).toBe(true);
    const env = resolve(service.environment ?? {});
    for (const key of Object.keys(env)) expect(Object.keys(ENV_MAP), key).toContain(key);
    const config = loadConfig(env);
    expect(config.roles.length).toBeGreaterThan(0);
    for (const role of config.roles) expect(ROLES).toContain(role);
    // a container without the broker role must be told where the broker is
    if (!config.roles.includes('broker'))
      expect(config.brokerUrl, 'SAWBRAIN_BROKER_URL').toMatch(/^mqtt:\/\//);
    if (config.roles.includes('ingest') && !config.roles.includes('broker')) {
      expect(env.SAWBRAIN_INGEST_PASSWORD, 'ingest needs the shared service password').toBeTruthy();
    }
    // published container ports are the ports the config listens on
    const published = (service.ports ?? []).map((p) => Number(p.split(':').at(-1)));
    const listening = [
      ...(config.roles.includes('broker') ? [config.mqtt.port, config.mqtt.wsPort] : []),
      ...(config.roles.includes('http') ? [config.http.port] : []),
    ].filter((p) => p > 0);
    expect(published.sort()).toEqual(listening.sort());
    expect(config.dataDir).toBe('/data');
    expect(service.volumes?.some((v) => v.endsWith(':/data'))).toBe(true);
  });

  it('wires services to each other by names that exist, with declared volumes', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const dep of service.depends_on ?? [])
        expect(Object.keys(compose.services), `${name} → ${dep}`).toContain(dep);
      for (const v of service.volumes ?? []) {
        const source = v.split(':')[0]!;
        if (!source.startsWith('.') && !source.startsWith('/'))
          expect(Object.keys(compose.volumes)).toContain(source);
      }
      const env = resolve(service.environment ?? {});
      for (const url of [env.SAWBRAIN_BROKER_URL, env.SAWBRAIN_INFLUX_URL, env.SAWBRAIN_REDIS_URL]) {
        if (url) expect(Object.keys(compose.services)).toContain(new URL(url).hostname);
      }
    }
    // broker and simulator share the registry; ingest keeps its journal on its own volume
    const volumeOf = (s: string) =>
      compose.services[s]!.volumes!.find((v) => v.endsWith(':/data'))!.split(':')[0];
    expect(volumeOf('broker')).toBe(volumeOf('simulator'));
    expect(volumeOf('ingest')).not.toBe(volumeOf('broker'));
    const broker = loadConfig(resolve(compose.services.broker!.environment!));
    expect(broker.mqtt.persistence).toBe('redis');
    const ingest = loadConfig(resolve(compose.services.ingest!.environment!));
    expect(ingest.influx.url).toBeDefined();
  });

  it('documents every environment variable of the config in the README', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    for (const key of [...Object.keys(ENV_MAP), 'SAWBRAIN_CONFIG'])
      expect(readme, key).toContain(`| \`${key}\` |`);
    expect(Object.keys(ConfigSchema.shape)).toContain('roles');
  });
});
