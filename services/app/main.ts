import { loadConfig } from '../core/config.js';
import { isSawBrainError } from '../core/errors.js';
import { createLogger } from '../core/logger.js';
import { startSystem } from './system.js';

/**
 * `npm start`: runs the roles of SAWBRAIN_ROLES (all by default) in one process, prints where to
 * look, and shuts down gracefully on SIGINT/SIGTERM (ingest drains what it received).
 */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(`sawbrain: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const logger = createLogger(config.logLevel);
  const system = await startSystem(config, logger);
  const store = system.store
    ? `${system.store.kind}${config.influx.url ? ` at ${config.influx.url}` : ` in ${config.dataDir}/tsdb`}`
    : 'none';
  const lines = [
    '',
    'SawBrain is running',
    `  roles       ${config.roles.join(', ')}`,
    system.urls.mqtt
      ? `  MQTT        ${system.urls.mqtt}${system.urls.ws ? `   WebSocket ${system.urls.ws}` : ''}`
      : null,
    system.urls.http ? `  status page ${system.urls.http}/   metrics ${system.urls.http}/metrics` : null,
    system.urls.http
      ? `  API         ${system.urls.http}/api/v1   docs ${system.urls.http}/docs   map ${system.urls.http}/map`
      : null,
    system.api?.bootstrapKey
      ? `  admin key   ${system.api.bootstrapKey}   (first start only: store it now; see docs/api.md)`
      : null,
    `  store       ${store}`,
    system.fleet
      ? `  simulator   ${system.fleet.stats().machines} saws publishing (speed ×${config.simulator.speed})`
      : null,
    `  data dir    ${config.dataDir}`,
    '  provision a real machine: npx sawbrain machine add --help',
    '  Ctrl-C to stop',
    '',
  ].filter((l): l is string => l !== null);
  process.stdout.write(`${lines.join('\n')}\n`);

  // npm and tsx forward the terminal's Ctrl-C, so one keypress can arrive two or three times:
  // only a signal well after the first one means "stop waiting".
  let stoppingSince = 0;
  const shutdown = (signal: string) => {
    if (stoppingSince) {
      if (Date.now() - stoppingSince < 3000) return;
      logger.warn('second signal: exiting without waiting');
      process.exit(1);
    }
    stoppingSince = Date.now();
    logger.info({ signal }, 'shutting down');
    system.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  const code = isSawBrainError(err) ? err.code : 'FATAL';
  process.stderr.write(`sawbrain: ${code}: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
