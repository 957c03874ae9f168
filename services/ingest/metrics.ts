import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The ingest service's Prometheus metrics (names are part of the operations docs). */
export function ingestMetrics(registry: Registry) {
  return {
    messages: new Counter({
      name: 'sawbrain_ingest_messages_total',
      help: 'Messages received and journaled, by kind once converted',
      labelNames: ['kind'],
      registers: [registry],
    }),
    received: new Counter({
      name: 'sawbrain_ingest_received_total',
      help: 'MQTT messages acknowledged after journaling',
      registers: [registry],
    }),
    samples: new Counter({ name: 'sawbrain_ingest_samples_total', help: 'Telemetry samples stored', registers: [registry] }),
    points: new Counter({ name: 'sawbrain_ingest_points_written_total', help: 'Points written to the store', registers: [registry] }),
    deadLetters: new Counter({
      name: 'sawbrain_ingest_dead_letters_total',
      help: 'Messages set aside, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    quality: new Counter({
      name: 'sawbrain_ingest_quality_events_total',
      help: 'Data-quality events from (bootId, seq) tracking, by type',
      labelNames: ['type'],
      registers: [registry],
    }),
    storeErrors: new Counter({
      name: 'sawbrain_ingest_store_errors_total',
      help: 'Failed store writes, by error code',
      labelNames: ['code'],
      registers: [registry],
    }),
    storeUp: new Gauge({ name: 'sawbrain_ingest_store_up', help: '1 when the last store write succeeded', registers: [registry] }),
    pendingBytes: new Gauge({
      name: 'sawbrain_ingest_journal_pending_bytes',
      help: 'Journal bytes accepted but not yet in the store (the spool)',
      registers: [registry],
    }),
    batchSeconds: new Histogram({
      name: 'sawbrain_ingest_store_write_seconds',
      help: 'Store write latency per batch',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    }),
  };
}

export type IngestMetrics = ReturnType<typeof ingestMetrics>;
