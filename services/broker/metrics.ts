import { Counter, Gauge, type Registry } from 'prom-client';

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

/** Same registry twice (a restarted broker in one process) → the same metric objects. */
function reuse<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

export function createBrokerMetrics(registry: Registry): BrokerMetrics {
  const registers = [registry];
  const counter = <L extends string>(name: string, help: string, labelNames: L[] = []) =>
    reuse(registry, name, () => new Counter<L>({ name, help, labelNames, registers }));
  return {
    connectedClients: reuse(
      registry,
      'sawbrain_broker_connected_clients',
      () =>
        new Gauge({ name: 'sawbrain_broker_connected_clients', help: 'MQTT clients connected', registers }),
    ),
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
