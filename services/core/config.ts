import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { formatIssues } from '../contracts/validate.js';
import { SawBrainError } from './errors.js';

/**
 * The configuration of a SawBrain process: parsed once at start-up from an optional JSON file
 * (SAWBRAIN_CONFIG) overlaid by environment variables, every problem reported at once, then
 * frozen. The table ENV_MAP is the documentation of the environment variables.
 */
const port = z.coerce.number().int().min(0).max(65_535);
const bool = z.union([
  z.boolean(),
  z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1'),
]);

export const ROLES = ['broker', 'ingest', 'simulator', 'http', 'analysis', 'databases'] as const;
export type Role = (typeof ROLES)[number];
/** Roles a process runs when none are configured (`npm start`: everything in one process). */
export const DEFAULT_ROLES: readonly Role[] = [
  'broker',
  'ingest',
  'simulator',
  'http',
  'analysis',
  'databases',
];

const roleList = z.union([
  z.array(z.enum(ROLES)),
  z.string().transform((s, ctx) => {
    const roles = s
      .split(',')
      .map((r) => r.trim())
      .filter(Boolean);
    for (const r of roles) {
      if (!(ROLES as readonly string[]).includes(r)) {
        ctx.addIssue({ code: 'custom', message: `unknown role "${r}" (roles: ${ROLES.join(', ')})` });
      }
    }
    return roles as Role[];
  }),
]);

export const ConfigSchema = z.strictObject({
  roles: roleList.default([...DEFAULT_ROLES]).describe('which services this process runs'),
  brokerUrl: z
    .string()
    .regex(/^(mqtts?|wss?|tcp):\/\//, 'broker URL like mqtt://host:1883')
    .optional()
    .describe('broker for ingest/simulator when the broker role runs elsewhere'),
  dataDir: z.string().min(1).default('data'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  mqtt: z
    .strictObject({
      host: z.string().default('0.0.0.0'),
      port: port.default(1883),
      wsPort: port.default(8083).describe('MQTT over WebSocket; 0 disables'),
      maxPacketBytes: z.coerce
        .number()
        .int()
        .min(1024)
        .max(256 * 1024 * 1024)
        .default(512 * 1024),
      keepaliveLimitS: z.coerce.number().int().min(0).max(65_535).default(600),
      connectTimeoutMs: z.coerce.number().int().min(100).default(10_000),
      maxTopicLevels: z.coerce.number().int().min(5).max(100).default(8),
      persistence: z.enum(['memory', 'redis']).default('memory'),
      redisUrl: z.string().default('redis://127.0.0.1:6379'),
      authFailures: z
        .strictObject({
          maxPerAddress: z.coerce.number().int().min(1).default(10),
          maxPerUsername: z.coerce.number().int().min(1).default(5),
          windowMs: z.coerce.number().int().min(1000).default(60_000),
          lockoutMs: z.coerce.number().int().min(1000).default(300_000),
        })
        .prefault({}),
    })
    .prefault({}),
  influx: z
    .strictObject({
      url: z.string().url().optional().describe('InfluxDB base URL; unset = embedded SQLite store'),
      apiVersion: z.enum(['auto', '1', '2', '3']).default('auto'),
      token: z.string().optional().describe('2.x/3.x token (or "user:password" for 1.x with auth)'),
      username: z.string().optional(),
      password: z.string().optional(),
      org: z.string().default('sawbrain'),
      databasePrefix: z
        .string()
        .regex(/^[A-Za-z0-9_]*$/)
        .default('sawbrain_'),
      timeoutMs: z.coerce.number().int().min(100).default(10_000),
    })
    .prefault({}),
  ingest: z
    .strictObject({
      batchMaxPoints: z.coerce.number().int().min(1).default(5000),
      flushIntervalMs: z.coerce.number().int().min(1).default(200),
      writeConcurrency: z.coerce.number().int().min(1).max(8).default(2).describe('store writes in flight'),
      fsync: z.enum(['always', 'interval', 'never']).default('interval'),
      memoryQueueBytes: z.coerce
        .number()
        .int()
        .min(65_536)
        .default(64 * 1024 * 1024),
      transport: z
        .enum(['auto', 'mqtt'])
        .default('auto')
        .describe(
          'auto: in-process on the broker when both run in one process; mqtt: always a separate subscriber',
        ),
      clientId: z.string().min(1).max(64).default('sawbrain-ingest'),
      username: z.string().min(1).default('sawbrain-ingest'),
      password: z
        .string()
        .min(16)
        .optional()
        .describe('ingest service password; generated when unset (embedded mode)'),
      retryMaxMs: z.coerce.number().int().min(100).default(10_000),
    })
    .prefault({}),
  http: z.strictObject({ host: z.string().default('0.0.0.0'), port: port.default(8080) }).prefault({}),
  analysis: z
    .strictObject({
      clientId: z.string().min(1).max(64).default('sawbrain-analysis'),
      username: z.string().min(1).default('sawbrain-analysis'),
      password: z
        .string()
        .min(16)
        .optional()
        .describe('analysis service password; generated when unset (embedded mode)'),
      tickMs: z.coerce.number().int().min(50).max(60_000).default(1000),
      floodPerMachine: z.coerce
        .number()
        .int()
        .min(1)
        .default(5)
        .describe('warnings per machine per flood window'),
      floodPerPlant: z.coerce
        .number()
        .int()
        .min(1)
        .default(20)
        .describe('warnings per plant per flood window'),
      floodWindowMs: z.coerce.number().int().min(1000).default(600_000),
      autoResolveHours: z.coerce
        .number()
        .min(0.01)
        .default(24)
        .describe('cleared, unacknowledged warnings close after this'),
      history: bool.default(true).describe('write warning events to the algorithms database'),
      transport: z
        .enum(['auto', 'mqtt'])
        .default('auto')
        .describe(
          'auto: in-process on the broker when both run in one process; mqtt: always a separate subscriber',
        ),
      maxQueue: z.coerce
        .number()
        .int()
        .min(1000)
        .default(100_000)
        .describe('messages waiting for analysis before the oldest are dropped (and counted)'),
    })
    .prefault({}),
  api: z
    .strictObject({
      clientId: z.string().min(1).max(64).default('sawbrain-api'),
      username: z
        .string()
        .min(1)
        .default('sawbrain-api')
        .describe("the API's broker account (commands, live stream)"),
      password: z
        .string()
        .min(16)
        .optional()
        .describe('API broker password; generated when unset (embedded mode)'),
      adminKey: z
        .string()
        .min(32)
        .max(256)
        .optional()
        .describe('an admin API key to import at start (e.g. handed in by docker compose)'),
      bootstrapAdmin: bool
        .default(true)
        .describe('when no admin key exists, create one and print it once in the log'),
      rateLimitPerMinute: z.coerce
        .number()
        .int()
        .min(1)
        .default(600)
        .describe('requests per key (or address) per minute'),
      authFailuresPerMinute: z.coerce
        .number()
        .int()
        .min(1)
        .default(10)
        .describe('failed authentications per address per minute before a lockout'),
      authLockoutMs: z.coerce.number().int().min(1000).default(300_000),
      commandTtlMs: z.coerce.number().int().min(500).default(30_000).describe('default command expiry'),
      commandMaxTtlMs: z.coerce.number().int().min(1000).default(600_000),
      streamKeepaliveMs: z.coerce
        .number()
        .int()
        .min(100)
        .default(15_000)
        .describe('live stream keep-alive; a revoked key is cut off at the next one'),
    })
    .prefault({}),
  databases: z
    .strictObject({
      transport: z
        .enum(['auto', 'mqtt'])
        .default('auto')
        .describe('auto: in-process on the broker when both run in one process; mqtt: a separate subscriber'),
      clientId: z.string().min(1).max(64).default('sawbrain-databases'),
      username: z.string().min(1).default('sawbrain-databases'),
      password: z
        .string()
        .min(16)
        .optional()
        .describe('databases service password; generated when unset (embedded mode)'),
      gridKgPerKWh: z.coerce
        .number()
        .min(0)
        .max(3)
        .default(0.5703)
        .describe('kg CO₂ per kWh of grid electricity (default: China national grid average, 2022)'),
      silenceS: z.coerce.number().int().min(1).default(120).describe('no data for longer = offline'),
      rollupIntervalMs: z.coerce.number().int().min(50).default(60_000).describe('real time between rollups'),
      snapshotEveryMinutes: z.coerce
        .number()
        .min(1)
        .default(60)
        .describe('device time between supply-chain and algorithms snapshots'),
      forecastHorizonDays: z.coerce.number().int().min(7).max(730).default(56),
      minBucket: z.coerce
        .number()
        .int()
        .min(5)
        .default(5)
        .describe('smallest anonymised bucket, machines (never below 5)'),
      rawRetentionDays: z.coerce
        .number()
        .min(0)
        .max(36_500)
        .default(30)
        .describe(
          'device-time days of raw telemetry kept once downsampled to telemetry_1m (0 = keep forever)',
        ),
    })
    .prefault({}),
  simulator: z
    .strictObject({
      enabled: bool.default(true),
      machines: z.coerce.number().int().min(0).max(10_000).default(20),
      speed: z.coerce.number().min(0.1).max(10_000).default(1).describe('time acceleration factor'),
      seed: z.coerce.number().int().default(42),
      sampleIntervalMs: z.coerce.number().int().min(10).default(1000),
      samplesPerMessage: z.coerce.number().int().min(1).max(5000).default(5),
    })
    .prefault({}),
});

export type Config = Readonly<z.infer<typeof ConfigSchema>>;
export type ConfigInput = z.input<typeof ConfigSchema>;

/** Environment variable → config path. */
export const ENV_MAP: Record<string, string> = {
  SAWBRAIN_ROLES: 'roles',
  SAWBRAIN_BROKER_URL: 'brokerUrl',
  SAWBRAIN_DATA_DIR: 'dataDir',
  SAWBRAIN_LOG_LEVEL: 'logLevel',
  SAWBRAIN_MQTT_HOST: 'mqtt.host',
  SAWBRAIN_MQTT_PORT: 'mqtt.port',
  SAWBRAIN_MQTT_WS_PORT: 'mqtt.wsPort',
  SAWBRAIN_MQTT_MAX_PACKET_BYTES: 'mqtt.maxPacketBytes',
  SAWBRAIN_MQTT_PERSISTENCE: 'mqtt.persistence',
  SAWBRAIN_REDIS_URL: 'mqtt.redisUrl',
  SAWBRAIN_INFLUX_URL: 'influx.url',
  SAWBRAIN_INFLUX_API: 'influx.apiVersion',
  SAWBRAIN_INFLUX_TOKEN: 'influx.token',
  SAWBRAIN_INFLUX_USERNAME: 'influx.username',
  SAWBRAIN_INFLUX_PASSWORD: 'influx.password',
  SAWBRAIN_INFLUX_ORG: 'influx.org',
  SAWBRAIN_INFLUX_DB_PREFIX: 'influx.databasePrefix',
  SAWBRAIN_INGEST_FSYNC: 'ingest.fsync',
  SAWBRAIN_INGEST_TRANSPORT: 'ingest.transport',
  SAWBRAIN_INGEST_USERNAME: 'ingest.username',
  SAWBRAIN_INGEST_PASSWORD: 'ingest.password',
  SAWBRAIN_HTTP_HOST: 'http.host',
  SAWBRAIN_HTTP_PORT: 'http.port',
  SAWBRAIN_SIM_ENABLED: 'simulator.enabled',
  SAWBRAIN_SIM_MACHINES: 'simulator.machines',
  SAWBRAIN_SIM_SPEED: 'simulator.speed',
  SAWBRAIN_SIM_SEED: 'simulator.seed',
  SAWBRAIN_ANALYSIS_USERNAME: 'analysis.username',
  SAWBRAIN_ANALYSIS_PASSWORD: 'analysis.password',
  SAWBRAIN_ANALYSIS_FLOOD_PER_MACHINE: 'analysis.floodPerMachine',
  SAWBRAIN_ANALYSIS_FLOOD_PER_PLANT: 'analysis.floodPerPlant',
  SAWBRAIN_ANALYSIS_AUTO_RESOLVE_HOURS: 'analysis.autoResolveHours',
  SAWBRAIN_ANALYSIS_HISTORY: 'analysis.history',
  SAWBRAIN_ANALYSIS_TRANSPORT: 'analysis.transport',
  SAWBRAIN_API_USERNAME: 'api.username',
  SAWBRAIN_API_PASSWORD: 'api.password',
  SAWBRAIN_API_ADMIN_KEY: 'api.adminKey',
  SAWBRAIN_API_BOOTSTRAP_ADMIN: 'api.bootstrapAdmin',
  SAWBRAIN_API_RATE_LIMIT: 'api.rateLimitPerMinute',
  SAWBRAIN_API_AUTH_FAILURES: 'api.authFailuresPerMinute',
  SAWBRAIN_API_COMMAND_TTL_MS: 'api.commandTtlMs',
  SAWBRAIN_DATABASES_TRANSPORT: 'databases.transport',
  SAWBRAIN_DATABASES_USERNAME: 'databases.username',
  SAWBRAIN_DATABASES_PASSWORD: 'databases.password',
  SAWBRAIN_DATABASES_GRID_KG_PER_KWH: 'databases.gridKgPerKWh',
  SAWBRAIN_DATABASES_SILENCE_S: 'databases.silenceS',
  SAWBRAIN_DATABASES_FORECAST_DAYS: 'databases.forecastHorizonDays',
  SAWBRAIN_DATABASES_MIN_BUCKET: 'databases.minBucket',
  SAWBRAIN_DATABASES_RAW_RETENTION_DAYS: 'databases.rawRetentionDays',
};

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** Parses config from a file + env + explicit overrides (highest precedence); throws CONFIG_INVALID listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: ConfigInput = {}): Config {
  let raw: Record<string, unknown> = {};
  const file = env.SAWBRAIN_CONFIG;
  if (file) {
    if (!existsSync(file))
      throw new SawBrainError('CONFIG_INVALID', `SAWBRAIN_CONFIG file not found: ${file}`);
    try {
      raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new SawBrainError('CONFIG_INVALID', `${file} is not JSON: ${(err as Error).message}`);
    }
  }
  for (const [name, path] of Object.entries(ENV_MAP)) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(raw, path, value);
  }
  raw = mergeDeep(raw, overrides as Record<string, unknown>);
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) throw new SawBrainError('CONFIG_INVALID', formatIssues(parsed.error.issues, 50));
  return deepFreeze(parsed.data);
}

function mergeDeep(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object'
        ? mergeDeep(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}
