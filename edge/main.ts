import { parseArgs } from 'node:util';
import { isSawBrainError } from '../services/core/errors.js';
import { createLogger } from '../services/core/logger.js';
import { loadGatewayConfig } from './config.js';
import { startGateway } from './gateway.js';

/**
 * The edge gateway process:
 *
 *   node --import tsx edge/main.ts --config gateway.json
 *
 * SIGINT/SIGTERM stop it gracefully (last batches and `offline` states sent, the rest kept in
 * the outbox); a second signal exits at once.
 */
async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help || !values.config) {
    process.stdout.write('usage: node --import tsx edge/main.ts --config gateway.json\n');
    return values.help ? 0 : 2;
  }
  const config = loadGatewayConfig(values.config);
  const logger = createLogger(config.logLevel, { base: { app: 'sawbrain-edge' } });
  const gateway = await startGateway(config, logger);
  process.stdout.write(
    `sawbrain edge gateway ${config.gatewayId} (boot ${gateway.bootId}): ${config.controllers.length} controller(s) → ${config.broker.url}` +
      (gateway.urls.http
        ? `; health ${gateway.urls.http}/health, metrics ${gateway.urls.http}/metrics`
        : '') +
      '\n',
  );
  await new Promise<void>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (signals > 1) process.exit(130);
      logger.info({ signal }, 'stopping');
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await gateway.stop();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const message = isSawBrainError(err)
      ? `${err.code}: ${err.message}`
      : String((err as Error)?.stack ?? err);
    process.stderr.write(`sawbrain edge gateway: ${message}\n`);
    process.exit(1);
  },
);
