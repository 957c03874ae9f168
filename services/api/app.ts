import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import { LoginThrottle } from '../broker/throttle.js';
import { isSawBrainError, SawBrainError } from '../core/errors.js';
import { metricFactory } from '../core/metrics.js';
import type { ApiIdentity } from '../registry/index.js';
import type { ApiDeps } from './deps.js';
import { guardParams } from './guard.js';
import { errorBody } from './route.js';
import { registerAlgorithmRoutes } from './routes/algorithms.js';
import { registerAuditRoutes } from './routes/audit.js';
import { registerCommandRoutes } from './routes/commands.js';
import { registerFleetOperationsRoutes } from './routes/fleet-operations.js';
import { registerKeyRoutes } from './routes/keys.js';
import { registerMachineRoutes } from './routes/machines.js';
import { registerMapRoutes } from './routes/map.js';
import { registerMarketRoutes } from './routes/market.js';
import { registerOperationsRoutes } from './routes/operations.js';
import { registerPlantRoutes } from './routes/plants.js';
import { registerStatusRoutes } from './routes/status.js';
import { registerStreamRoutes } from './routes/stream.js';
import { registerSupplyChainRoutes } from './routes/supply-chain.js';
import { registerWarningEventRoutes } from './routes/warning-events.js';
import { registerWarningRoutes } from './routes/warnings.js';

declare module 'fastify' {
  interface FastifyRequest {
    identity: ApiIdentity | null;
  }
  interface FastifyInstance {
    /** object-level check of the ids in a URL (see guard.ts), before the body is even parsed */
    guardParams: (id: ApiIdentity, params: unknown) => void;
    /** every route registered (for the OpenAPI completeness test) */
    routeList: { method: string; url: string; hidden: boolean }[];
  }
}

export const API_PREFIX = '/api/v1';
/** Served without a key: probes, metrics, the status page, the API's own documentation. */
const PUBLIC = new Set([`${API_PREFIX}/status`, `${API_PREFIX}/openapi.json`]);
const dashboards = join(import.meta.dirname, '../../dashboards');

function bearer(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  return m ? m[1]! : null;
}

/**
 * Builds the HTTP app — status surface, the versioned API, its OpenAPI document and UI, the data
 * brain map pages — without listening (tests use `inject()`; system.ts calls `listen()`).
 */
export async function buildApiApp(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger.child({ svc: 'http' }) as FastifyBaseLogger,
    trustProxy: false,
    // live streams are long requests: close() ends them instead of waiting
    forceCloseConnections: true,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest('identity', null);
  app.decorate('guardParams', guardParams(deps));
  const routeList: { method: string; url: string; hidden: boolean }[] = [];
  app.decorate('routeList', routeList);
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat())
      routeList.push({
        method,
        url: r.url,
        hidden: (r.schema as { hide?: boolean } | undefined)?.hide === true,
      });
  });

  const f = metricFactory(deps.metrics);
  const requests = f.counter('sawbrain_api_requests_total', 'HTTP API requests by route and status', [
    'method',
    'route',
    'status',
  ]);
  const authFailures = f.counter('sawbrain_api_auth_failures_total', 'refused API authentications', [
    'reason',
  ]);
  const throttle = new LoginThrottle({
    maxPerAddress: deps.config.api.authFailuresPerMinute,
    maxPerUsername: deps.config.api.authFailuresPerMinute,
    windowMs: 60_000,
    lockoutMs: deps.config.api.authLockoutMs,
  });

  app.addHook('onResponse', async (req, reply) => {
    requests.inc({
      method: req.method,
      route: req.routeOptions.url ?? 'unmatched',
      status: reply.statusCode,
    });
  });

  // authentication: every /api/v1 route but the public ones needs `Authorization: Bearer <key>`
  app.addHook('onRequest', async (req) => {
    const path = req.url.split('?')[0]!;
    if (!path.startsWith(`${API_PREFIX}/`) || PUBLIC.has(path)) return;
    const address = req.ip;
    if (throttle.lockedBy(address, undefined)) {
      authFailures.inc({ reason: 'throttled' });
      throw new SawBrainError('AUTH_THROTTLED');
    }
    const key = bearer(req.headers.authorization);
    const identity = key ? deps.keys.verify(key) : null;
    if (!identity) {
      authFailures.inc({ reason: key ? 'invalid' : 'missing' });
      throttle.fail(address, undefined);
      throw new SawBrainError('UNAUTHENTICATED');
    }
    req.identity = identity;
    req.log = req.log.child({ key: identity.keyId, role: identity.role });
  });

  await app.register(rateLimit, {
    global: true,
    hook: 'preValidation',
    max: deps.config.api.rateLimitPerMinute,
    timeWindow: 60_000,
    keyGenerator: (req) => req.identity?.keyId ?? req.ip,
    allowList: (req) => !req.url.startsWith(`${API_PREFIX}/`) || PUBLIC.has(req.url.split('?')[0]!),
    errorResponseBuilder: (_req, ctx) => new SawBrainError('RATE_LIMITED', `retry in ${ctx.after}`),
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'SawBrain API',
        version: '1.0.0',
        description:
          'The sawing data brain: machines, their data, warnings, commands and the data brain map, each ' +
          'party at its own tier. Authenticate with `Authorization: Bearer <API key>`; see docs/api.md for ' +
          'how each kind of user gets a key and what it can see.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an API key (sbk_…)' } },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.setErrorHandler((err, req, reply) => {
    if (isSawBrainError(err)) {
      if (err.status >= 500) req.log.error({ err }, 'request failed');
      return reply.code(err.status).send(errorBody(err, req.id));
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const detail = err.validation
        .slice(0, 5)
        .map((v) => `${v.instancePath || '(root)'} ${v.message ?? ''}`.trim())
        .join('; ');
      return reply.code(400).send(errorBody(new SawBrainError('REQUEST_INVALID', detail), req.id));
    }
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) {
      const code = status === 404 ? 'NOT_FOUND' : status === 429 ? 'RATE_LIMITED' : 'REQUEST_INVALID';
      return reply.code(status).send(errorBody(new SawBrainError(code, (err as Error).message), req.id));
    }
    req.log.error({ err }, 'request failed');
    return reply.code(500).send(errorBody(new SawBrainError('INTERNAL'), req.id));
  });
  app.setNotFoundHandler((req, reply) =>
    reply
      .code(404)
      .send(errorBody(new SawBrainError('NOT_FOUND', `${req.method} ${req.url.split('?')[0]}`), req.id)),
  );

  registerStatusRoutes(app, deps, readFileSync(join(dashboards, 'status/index.html'), 'utf8'));
  await app.register(
    async (api) => {
      registerKeyRoutes(api, deps);
      registerMachineRoutes(api, deps);
      registerPlantRoutes(api, deps);
      registerOperationsRoutes(api, deps);
      registerWarningRoutes(api, deps);
      registerWarningEventRoutes(api, deps);
      registerCommandRoutes(api, deps);
      registerAlgorithmRoutes(api, deps);
      registerFleetOperationsRoutes(api, deps);
      registerSupplyChainRoutes(api, deps);
      registerMarketRoutes(api, deps);
      registerAuditRoutes(api, deps);
      registerMapRoutes(api, deps);
      registerStreamRoutes(api, deps);
    },
    { prefix: API_PREFIX },
  );
  const mapPage = readFileSync(join(dashboards, 'map/index.html'), 'utf8');
  app.get('/map', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/html; charset=utf-8').send(mapPage),
  );
  app.get(`${API_PREFIX}/openapi.json`, { schema: { hide: true } }, async () => app.swagger());
  return app;
}
