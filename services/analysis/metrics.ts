import type { Registry } from 'prom-client';
import { metricFactory } from '../core/metrics.js';

/** The analysis service's Prometheus metrics. */
export function analysisMetrics(registry: Registry) {
  const { counter, gauge, histogram } = metricFactory(registry);
  return {
    messages: counter('sawbrain_analysis_messages_total', 'Messages analysed, by kind', ['kind']),
    invalid: counter('sawbrain_analysis_invalid_total', 'Messages set aside (not the standard), by reason', [
      'reason',
    ]),
    ruleFailures: counter(
      'sawbrain_analysis_rule_failures_total',
      'Rule handler exceptions (isolated), by rule',
      ['rule'],
    ),
    engineErrors: counter(
      'sawbrain_analysis_engine_errors_total',
      'Messages the engine failed on (isolated)',
    ),
    warnings: counter(
      'sawbrain_analysis_warning_events_total',
      'Warning lifecycle events, by type and action',
      ['type', 'action'],
    ),
    published: counter('sawbrain_analysis_published_total', 'Warnings published to machines'),
    historyErrors: counter(
      'sawbrain_analysis_history_errors_total',
      'warning_event writes the store refused',
    ),
    open: gauge('sawbrain_analysis_open_warnings', 'Open (not resolved) warnings'),
    queued: gauge('sawbrain_analysis_queue_depth', 'Messages received and not yet analysed'),
    dropped: counter(
      'sawbrain_analysis_dropped_total',
      'Messages dropped unanalysed because the queue was full (oldest first)',
    ),
    queueWait: histogram(
      'sawbrain_analysis_queue_wait_seconds',
      'Time from receipt by the analysis service to the end of its analysis',
      [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    ),
    deviceLag: histogram(
      'sawbrain_analysis_device_lag_seconds',
      "Time from a message's device timestamp to its analysis (includes device clock skew and network)",
      [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    ),
    batch: histogram(
      'sawbrain_analysis_batch_messages',
      'Messages analysed per batch (one SQLite transaction, one history write)',
      [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000],
    ),
  };
}

export type AnalysisMetrics = ReturnType<typeof analysisMetrics>;
