import type { Config } from '../core/config.js';
import { SawBrainError } from '../core/errors.js';

/**
 * Where aedes keeps sessions, QoS>0 queues, retained messages and wills: in memory (default,
 * single process) or in Redis (survives broker restarts; several brokers can share it, with
 * mqemitter-redis carrying messages between them).
 */
export interface BrokerPersistence {
  /** aedes `persistence` option; undefined = aedes' in-memory default */
  persistence: unknown;
  /** aedes `mq` option; undefined = in-process mqemitter */
  mq: unknown;
  /** closes what aedes.close() does not (the persistence's connections) */
  close(): Promise<void>;
}

/** ioredis options from a `redis[s]://[user:pass@]host[:port][/db]` URL. */
export function redisOptionsFromUrl(url: string): Record<string, unknown> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new SawBrainError('CONFIG_INVALID', `mqtt.redisUrl is not a URL: ${url}`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new SawBrainError(
      'CONFIG_INVALID',
      `mqtt.redisUrl must be redis:// or rediss://, got ${u.protocol}`,
    );
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0)
    throw new SawBrainError('CONFIG_INVALID', `mqtt.redisUrl: bad db ${u.pathname}`);
  const options: Record<string, unknown> = {
    host: u.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    db,
  };
  if (u.username) options.username = decodeURIComponent(u.username);
  if (u.password) options.password = decodeURIComponent(u.password);
  if (u.protocol === 'rediss:') options.tls = {};
  return options;
}

export async function createPersistence(config: Config['mqtt']): Promise<BrokerPersistence> {
  if (config.persistence === 'memory') {
    return { persistence: undefined, mq: undefined, close: async () => {} };
  }
  const redis = redisOptionsFromUrl(config.redisUrl);
  const [{ default: persistenceRedis }, { default: mqemitterRedis }] = await Promise.all([
    import('aedes-persistence-redis'),
    import('mqemitter-redis'),
  ]);
  const persistence = persistenceRedis({ ...redis });
  // aedes' own default mqemitter matches empty levels [MQTT-4.7.1-3]; keep that behaviour
  const mq = mqemitterRedis({ ...redis, matchEmptyLevels: true });
  let closed = false;
  return {
    persistence,
    mq,
    close: async () => {
      if (closed) return;
      closed = true;
      await persistence.destroy();
    },
  };
}
