import type { Registry } from 'prom-client';
import { metricFactory } from '../core/metrics.js';

/** The databases service's Prometheus metrics. */
export function databasesMetrics(registry: Registry) {
  const { counter, gauge, histogram } = metricFactory(registry);
  return {
    messages: counter('sawbrain_databases_messages_total', 'Messages built into the databases, by kind', [
      'kind',
    ]),
    invalid: counter('sawbrain_databases_invalid_total', 'Messages set aside (not the standard), by reason', [
      'reason',
    ]),
    errors: counter('sawbrain_databases_build_errors_total', 'Messages the builder failed on (isolated)'),
    points: counter('sawbrain_databases_points_written_total', 'Points written, by database', ['db']),
    writeErrors: counter('sawbrain_databases_write_errors_total', 'Store writes that failed (retried)'),
    dropped: counter('sawbrain_databases_points_dropped_total', 'Points dropped because the queue was full'),
    queued: gauge('sawbrain_databases_queue_points', 'Points waiting to be written'),
    rollups: counter('sawbrain_databases_rollups_total', 'Rollup runs, by outcome', ['outcome']),
    rollupSeconds: histogram(
      'sawbrain_databases_rollup_seconds',
      'Duration of a rollup run',
      [0.05, 0.1, 0.5, 1, 5, 15, 60],
    ),
    retentionRuns: counter(
      'sawbrain_databases_retention_runs_total',
      'Raw-telemetry retention runs, by outcome (ok, failed, unsupported: the store cannot delete by time)',
      ['outcome'],
    ),
    retentionDeleted: counter(
      'sawbrain_databases_retention_deleted_total',
      'Raw points deleted by retention, by measurement (stores that report counts: SQLite)',
      ['measurement'],
    ),
    retentionLastRun: gauge(
      'sawbrain_databases_retention_last_run_timestamp_seconds',
      'Wall-clock time of the last successful retention run',
    ),
    retentionCutoff: gauge(
      'sawbrain_databases_retention_cutoff_timestamp_seconds',
      'Earliest raw-telemetry cutoff (device time) applied by the last run that deleted',
    ),
  };
}
export type DatabasesMetrics = ReturnType<typeof databasesMetrics>;
