import { collectDefaultMetrics, Registry } from 'prom-client';

export type { Registry as MetricsRegistry };

/** One Prometheus registry per process; components register their counters on it. */
export function createMetrics(withDefaults = true): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ app: 'sawbrain' });
  if (withDefaults) collectDefaultMetrics({ register: registry });
  return registry;
}
