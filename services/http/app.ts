import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify from 'fastify';
import type { Registry } from 'prom-client';
import type { Logger } from '../core/logger.js';

/** What the status surface reads: small getters, so the HTTP layer never reaches into services. */
export interface StatusSources {
  /** name → readiness check; all must pass for /ready */
  readiness: Record<string, () => Promise<boolean> | boolean>;
  /** a JSON-able snapshot of the system for /api/v1/status and the status page */
  status: () => Promise<Record<string, unknown>> | Record<string, unknown>;
}

export interface HttpDeps {
  logger: Logger;
  metrics: Registry;
  sources: StatusSources;
}

const dashboardDir = join(import.meta.dirname, '../../dashboards/status');

/** Builds the HTTP app without listening (tests use `app.inject()`). */
export function buildHttpApp(deps: HttpDeps) {
  const app = Fastify({ loggerInstance: deps.logger.child({ svc: 'http' }) });
  const page = readFileSync(join(dashboardDir, 'index.html'), 'utf8');

  app.get('/health', async () => ({ status: 'ok' }));

  app.get('/ready', async (_req, reply) => {
    const checks: Record<string, boolean> = {};
    for (const [name, check] of Object.entries(deps.sources.readiness)) {
      try {
        checks[name] = await check();
      } catch {
        checks[name] = false;
      }
    }
    const ready = Object.values(checks).every(Boolean);
    return reply.code(ready ? 200 : 503).send({ ready, checks });
  });

  app.get('/metrics', async (_req, reply) => {
    const body = await deps.metrics.metrics();
    return reply.type(deps.metrics.contentType).send(body);
  });

  app.get('/api/v1/status', async () => deps.sources.status());

  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(page));

  return app;
}
