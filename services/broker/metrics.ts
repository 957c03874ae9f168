import type { Counter, Gauge, Registry } from 'prom-client';
import { metricFactory } from '../core/metrics.js';

export interface BrokerMetrics {
  connectedClients: Gauge;
  authFailures: Counter<'reason'>;
  throttledLogins: Counter<'key'>;
  lockouts: Counter<'key'>;
  deniedPublishes: Counter<'reason'>;
  deniedSubscribes: Counter<'reason'>;
  oversizePackets: Counter<'transport'>;
  malformedHeaders: Counter<'transport'>;
  revocationDisconnects: Counter;
}

export function createBrokerMetrics(registry: Registry): BrokerMetrics {
  const { counter, gauge } = metricFactory(registry);
  return {
    connectedClients: gauge('sawbrain_broker_connected_clients', 'MQTT clients connected'),
    authFailures: counter('sawbrain_broker_auth_failures_total', 'refused MQTT logins by reason', ['reason']),
    throttledLogins: counter(
      'sawbrain_broker_throttled_logins_total',
      'logins refused because the address or username is locked out',
      ['key'],
    ),
    lockouts: counter('sawbrain_broker_lockouts_total', 'lockouts started by repeated failed logins', [
      'key',
    ]),
    deniedPublishes: counter('sawbrain_broker_denied_publishes_total', 'publishes refused by the ACL', [
      'reason',
    ]),
    deniedSubscribes: counter('sawbrain_broker_denied_subscribes_total', 'subscriptions refused by the ACL', [
      'reason',
    ]),
    oversizePackets: counter(
      'sawbrain_broker_oversize_packets_total',
      'connections dropped for declaring a packet above mqtt.maxPacketBytes',
      ['transport'],
    ),
    malformedHeaders: counter(
      'sawbrain_broker_malformed_headers_total',
      'connections dropped for a malformed MQTT fixed header',
      ['transport'],
    ),
    revocationDisconnects: counter(
      'sawbrain_broker_revocation_disconnects_total',
      'sessions closed because their credentials were rotated or revoked',
    ),
  };
}
