import { type MetricsRegistry, metricFactory } from '../services/core/metrics.js';

/** The gateway's Prometheus metrics (`sawbrain_edge_*`), on the process registry. */
export function createEdgeMetrics(registry: MetricsRegistry) {
  const m = metricFactory(registry);
  return {
    linkUp: m.gauge('sawbrain_edge_link_up', '1 while the MQTT uplink is connected'),
    outboxDepth: m.gauge('sawbrain_edge_outbox_depth_messages', 'messages in the disk outbox'),
    outboxBytes: m.gauge('sawbrain_edge_outbox_bytes', 'bytes in the disk outbox'),
    outboxAge: m.gauge('sawbrain_edge_outbox_oldest_age_seconds', 'age of the oldest message in the outbox'),
    backlog: m.gauge('sawbrain_edge_backlog_messages', 'backlog messages still to replay'),
    dropped: m.counter(
      'sawbrain_edge_outbox_dropped_total',
      'messages dropped unsent (outbox full or too old)',
      ['reason'],
    ),
    droppedSamples: m.counter('sawbrain_edge_outbox_dropped_samples_total', 'samples in dropped messages', [
      'reason',
    ]),
    enqueued: m.counter('sawbrain_edge_messages_total', 'messages numbered and stored in the outbox', [
      'machine',
      'kind',
    ]),
    published: m.counter('sawbrain_edge_published_total', 'messages sent to the broker', ['lane']),
    acked: m.counter('sawbrain_edge_acked_total', 'messages acknowledged by the broker (PUBACK)', ['lane']),
    samples: m.counter('sawbrain_edge_samples_total', 'samples read from controllers', ['machine']),
    rejectedValues: m.counter('sawbrain_edge_rejected_values_total', 'values outside the standard range', [
      'machine',
      'variable',
    ]),
    invalidMessages: m.counter('sawbrain_edge_invalid_messages_total', 'messages that failed the contracts', [
      'machine',
      'kind',
    ]),
    readErrors: m.counter('sawbrain_edge_controller_read_errors_total', 'failed controller reads', [
      'machine',
    ]),
    controllerUp: m.gauge('sawbrain_edge_controller_up', '1 while the controller answers', ['machine']),
    cuts: m.counter('sawbrain_edge_cuts_total', 'cuts detected at the edge', ['machine']),
    commands: m.counter('sawbrain_edge_commands_total', 'commands by outcome', ['machine', 'status']),
  };
}

export type EdgeMetrics = ReturnType<typeof createEdgeMetrics>;
