import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiDeps } from '../deps.js';

const Health = z.object({ status: z.literal('ok') }).meta({ examples: [{ status: 'ok' }] });
const Ready = z
  .object({ ready: z.boolean(), checks: z.record(z.string(), z.boolean()) })
  .meta({ examples: [{ ready: true, checks: { store: true, broker: true } }] });
const Status = z
  .object({
    cards: z.array(
      z.object({ title: z.string(), value: z.union([z.number(), z.string()]), sub: z.string().optional() }),
    ),
    urls: z.record(z.string(), z.string().optional()),
  })
  .meta({
    examples: [
      {
        cards: [{ title: 'machines registered', value: 20, sub: '5 manufacturers' }],
        urls: { mqtt: 'mqtt://127.0.0.1:1883', http: 'http://localhost:8080' },
      },
    ],
  });

/** Probes, metrics and the status page: public, no key (they name no tenant's data). */
export function registerStatusRoutes(app: FastifyInstance, deps: ApiDeps, page: string): void {
  app.get(
    '/health',
    { schema: { tags: ['status'], summary: 'Liveness', response: { 200: Health } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/ready',
    {
      schema: {
        tags: ['status'],
        summary: 'Readiness of the store and broker',
        response: { 200: Ready, 503: Ready },
      },
    },
    async (_req, reply) => {
      const checks: Record<string, boolean> = {};
      for (const [name, check] of Object.entries(deps.status.readiness)) {
        try {
          checks[name] = await check();
        } catch {
          checks[name] = false;
        }
      }
      const ready = Object.values(checks).every(Boolean);
      return reply.code(ready ? 200 : 503).send({ ready, checks });
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        tags: ['status'],
        summary: 'Prometheus metrics (text exposition format)',
        produces: ['text/plain'],
        response: {
          200: z.string().meta({ examples: ['# HELP sawbrain_api_requests_total HTTP API requests\n'] }),
        },
      },
    },
    async (_req, reply) => {
      const body = await deps.metrics.metrics();
      return reply
        .type(deps.metrics.contentType)
        .serializer((s) => s as string)
        .send(body);
    },
  );

  app.get(
    '/api/v1/status',
    {
      schema: { tags: ['status'], summary: 'System summary for the status page', response: { 200: Status } },
    },
    async () => (await deps.status.status()) as z.input<typeof Status>,
  );

  app.get('/', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/html; charset=utf-8').send(page),
  );
}
