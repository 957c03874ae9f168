import Fastify, { type FastifyInstance } from 'fastify';
import type { MetricsRegistry } from '../services/core/metrics.js';

/**
 * `/health` (JSON report; 200 while the process runs, `status` says ok or degraded) and
 * `/metrics` (Prometheus text) of the gateway.
 */
export async function startHealthServer(o: {
  host: string;
  port: number;
  metrics: MetricsRegistry;
  report: () => object;
}): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify({ logger: false });
  app.get('/health', async () => o.report());
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', o.metrics.contentType);
    return o.metrics.metrics();
  });
  const address = await app.listen({ host: o.host, port: o.port });
  return { app, url: address };
}
