import { join } from 'node:path';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { TelemetryStore } from '../core/ports.js';
import { InfluxStore } from './influx/influx-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';

/**
 * The one place that picks the time-series backend: InfluxDB (1.x/2.x/3.x) when `influx.url` is
 * configured, otherwise the embedded SQLite store under `<dataDir>/tsdb`.
 */
export function createStore(config: Config, logger: Logger): TelemetryStore {
  if (config.influx.url) return new InfluxStore({ config: config.influx, logger });
  return new SqliteStore({ dir: join(config.dataDir, 'tsdb'), logger });
}

export { InfluxStore } from './influx/influx-store.js';
export { pointBatch } from './point-batch.js';
export { SqliteStore } from './sqlite/sqlite-store.js';
