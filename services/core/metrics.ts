import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export type { Registry as MetricsRegistry };

/** One Prometheus registry per process; components register their counters on it. */
export function createMetrics(withDefaults = true): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ app: 'sawbrain' });
  if (withDefaults) collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * Metric factories that return the already registered metric of the same name, so a component
 * restarted in one process (tests, ingest restart) keeps its counters instead of throwing.
 */
export function metricFactory(registry: Registry) {
  const registers = [registry];
  const reuse = <T>(name: string, create: () => T): T =>
    (registry.getSingleMetric(name) as T | undefined) ?? create();
  return {
    counter: <L extends string>(name: string, help: string, labelNames: L[] = []) =>
      reuse(name, () => new Counter<L>({ name, help, labelNames, registers })),
    gauge: <L extends string>(name: string, help: string, labelNames: L[] = []) =>
      reuse(name, () => new Gauge<L>({ name, help, labelNames, registers })),
    histogram: (name: string, help: string, buckets: number[]) =>
      reuse(name, () => new Histogram({ name, help, buckets, registers })),
  };
}
