import type { Registry } from 'prom-client';
import { metricFactory } from '../core/metrics.js';

/** The ingest service's Prometheus metrics (names are part of the operations docs). */
export function ingestMetrics(registry: Registry) {
  const { counter, gauge, histogram } = metricFactory(registry);
  return {
    messages: counter('sawbrain_ingest_messages_total', 'Messages converted, by kind', ['kind']),
    received: counter('sawbrain_ingest_received_total', 'MQTT messages acknowledged after journaling'),
    samples: counter('sawbrain_ingest_samples_total', 'Telemetry samples stored'),
    points: counter('sawbrain_ingest_points_written_total', 'Points written to the store'),
    deadLetters: counter('sawbrain_ingest_dead_letters_total', 'Messages set aside, by reason', ['reason']),
    quality: counter(
      'sawbrain_ingest_quality_events_total',
      'Data-quality events from (bootId, seq), by type',
      ['type'],
    ),
    storeErrors: counter('sawbrain_ingest_store_errors_total', 'Failed store writes, by error code', [
      'code',
    ]),
    storeUp: gauge('sawbrain_ingest_store_up', '1 when the last store write succeeded'),
    pendingBytes: gauge(
      'sawbrain_ingest_journal_pending_bytes',
      'Journal bytes accepted but not yet in the store',
    ),
    batchSeconds: histogram(
      'sawbrain_ingest_store_write_seconds',
      'Store write latency per batch',
      [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    ),
  };
}

export type IngestMetrics = ReturnType<typeof ingestMetrics>;
