import type { Registry } from 'prom-client';
import type { AnalysisService } from '../analysis/index.js';
import type { AuditLog, CommandService } from '../commands/index.js';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { Clock, TelemetryStore } from '../core/ports.js';
import type { DatabasesReadApi } from '../databases/read-api.js';
import type { ApiKeyStore, MachineRegistry } from '../registry/index.js';
import type { Seeds } from '../seeds/index.js';
import type { LiveHub } from './live.js';

/** What the status surface reads: small getters, so the HTTP layer never reaches into services. */
export interface StatusSources {
  /** name → readiness check; all must pass for /ready */
  readiness: Record<string, () => Promise<boolean> | boolean>;
  /** a JSON-able snapshot of the system for /api/v1/status and the status page */
  status: () => Promise<Record<string, unknown>> | Record<string, unknown>;
}

/** Everything the API reads and drives; built by the composition root. */
export interface ApiDeps {
  config: Pick<Config, 'api'>;
  logger: Logger;
  metrics: Registry;
  status: StatusSources;
  registry: MachineRegistry;
  keys: ApiKeyStore;
  audit: AuditLog;
  seeds: Seeds;
  /** the operations/algorithms time series; null when this process has no store */
  store: TelemetryStore | null;
  analysis: AnalysisService | null;
  /** the four databases (read side); null when this process does not build them */
  databases: DatabasesReadApi | null;
  commands: CommandService | null;
  live: LiveHub | null;
  clock?: Clock;
}
