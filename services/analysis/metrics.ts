import type { Registry } from 'prom-client';
import { metricFactory } from '../core/metrics.js';

/** The analysis service's Prometheus metrics. */
export function analysisMetrics(registry: Registry) {
  const { counter, gauge } = metricFactory(registry);
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
  };
}

export type AnalysisMetrics = ReturnType<typeof analysisMetrics>;
