import type { AedesOptions, AuthenticateError, Client, Connection } from 'aedes';
import type { Logger } from '../core/logger.js';
import type { MachineRegistry } from '../registry/registry.js';
import type { Principal } from '../registry/types.js';
import {
  type AclLimits,
  canPublish,
  canSubscribe,
  canWill,
  type DenyReason,
  type Rights,
  rightsOf,
} from './acl.js';
import type { BrokerMetrics } from './metrics.js';
import type { SessionTable } from './sessions.js';
import type { LoginThrottle } from './throttle.js';

/**
 * The aedes hooks: authentication against the registry (with failed-login throttling) and the
 * ACL of acl.ts on every publish and subscribe.
 *
 * CONNACK codes: 2 identifier rejected (client id is not the machine id, or is another
 * principal's name), 4 bad username or password (unknown, revoked, wrong, missing), 5 not
 * authorized (locked out, forbidden will), 3 server unavailable (registry error).
 */
export interface AuthDeps {
  registry: MachineRegistry;
  sessions: SessionTable;
  throttle: LoginThrottle;
  limits: AclLimits;
  metrics: BrokerMetrics;
  logger: Logger;
  /** remote address of a connection (the WebSocket's underlying socket for ws) */
  addressOf: (conn: Connection) => string;
}

type AuthHooks = Required<
  Pick<AedesOptions, 'preConnect' | 'authenticate' | 'authorizePublish' | 'authorizeSubscribe'>
>;

type ReturnCode = 2 | 3 | 4 | 5;
/** [metric reason, CONNACK code, message, counts towards the lockout] */
type Refusal = [reason: string, code: ReturnCode, message: string, countsAsFailure: boolean];

/**
 * Credential checks in flight per remote address. Failures are only counted once scrypt has
 * answered, so without this cap a burst of parallel bad logins from one address would all be
 * checked before the lockout engages.
 */
export const MAX_PENDING_PER_ADDRESS = 32;

function refusal(returnCode: ReturnCode, message: string): AuthenticateError {
  const err = new Error(message) as AuthenticateError;
  err.returnCode = returnCode as AuthenticateError['returnCode'];
  return err;
}

interface PendingWill {
  topic: string;
  retain: boolean;
}

export function createAuthHooks(deps: AuthDeps): AuthHooks {
  const { registry, sessions, throttle, limits, metrics, logger } = deps;
  /** the CONNECT's will, kept from preConnect until authenticate decides */
  const wills = new WeakMap<Client, PendingWill | null>();
  const pending = new Map<string, number>();
  const settle = (address: string) => {
    const n = (pending.get(address) ?? 1) - 1;
    if (n <= 0) pending.delete(address);
    else pending.set(address, n);
  };

  const preConnect: AuthHooks['preConnect'] = (client, packet, callback) => {
    wills.set(client, packet.will ? { topic: packet.will.topic, retain: packet.will.retain === true } : null);
    callback(null, true);
  };

  const authenticate: AuthHooks['authenticate'] = (client, username, password, callback) => {
    const address = deps.addressOf(client.conn);
    // bounded key for the throttle map and the logs (real names are at most 64 characters)
    const user = username ? username.slice(0, 128) : undefined;
    const fail = (reason: string, code: ReturnCode, message: string, countsAsFailure: boolean) => {
      metrics.authFailures.inc({ reason });
      if (countsAsFailure) {
        for (const key of throttle.fail(address, user)) {
          metrics.lockouts.inc({ key });
          logger.warn({ address, username: user, key }, 'too many failed logins: locked out');
        }
      }
      logger.debug({ address, username: user, clientId: client.id?.slice(0, 128), reason }, 'login refused');
      callback(refusal(code, message), null);
    };

    const lockedBy = throttle.lockedBy(address, user);
    if (lockedBy) {
      metrics.throttledLogins.inc({ key: lockedBy });
      return fail('locked_out', 5, `locked out (${lockedBy})`, false);
    }
    if (!username) return fail('no_username', 4, 'username required', true);
    if (!password || password.length === 0) return fail('no_password', 4, 'password required', true);

    if ((pending.get(address) ?? 0) >= MAX_PENDING_PER_ADDRESS) {
      metrics.throttledLogins.inc({ key: 'pending' });
      return fail('busy', 5, 'too many logins in progress from this address', false);
    }
    let authRevision: number;
    try {
      authRevision = registry.revision();
    } catch (err) {
      logger.error({ err }, 'registry unavailable');
      return callback(refusal(3, 'registry unavailable'), null);
    }
    pending.set(address, (pending.get(address) ?? 0) + 1);

    /** after scrypt: what to answer (pure of side effects, so a throw cannot answer twice) */
    const decide = (principal: Principal | null): Refusal | { rights: Rights; principal: Principal } => {
      if (!principal) return ['bad_credentials', 4, 'bad username or password', true];
      if (principal.kind === 'machine' && client.id !== principal.machineId)
        return ['client_id', 2, 'client id must be the machine id', false];
      if (principal.kind !== 'machine' && client.id !== username && registry.getPrincipal(client.id))
        return ['client_id', 2, "client id is another principal's name", false];
      const rights = rightsOf(principal);
      const will = wills.get(client);
      if (will) {
        const d = canWill(rights, will.topic, will.retain, limits);
        if (!d.ok) return ['will', 5, `will topic not allowed (${d.reason})`, false];
      }
      return { rights, principal };
    };

    registry
      .verify(username, password)
      .then(decide)
      .then(
        (outcome) => {
          settle(address);
          if (Array.isArray(outcome)) return fail(...outcome);
          throttle.succeed(username.slice(0, 128));
          if (!client.closed) sessions.add({ client, authRevision, ...outcome });
          callback(null, true);
        },
        (err: unknown) => {
          settle(address);
          logger.error({ err, username: user }, 'credential check failed');
          callback(refusal(3, 'credential check failed'), null);
        },
      );
  };

  const denyPublish = (reason: DenyReason, topic: string, client: Client | null): Error => {
    metrics.deniedPublishes.inc({ reason });
    logger.debug({ clientId: client?.id, topic: topic.slice(0, 256), reason }, 'publish denied');
    return new Error(`publish denied: ${reason}`);
  };

  const authorizePublish: AuthHooks['authorizePublish'] = (client, packet, callback) => {
    if (!client) {
      // a will of a client of a broker that died; it was authorized when that client connected
      return callback(packet.topic.startsWith('$') ? denyPublish('reserved', packet.topic, null) : null);
    }
    const session = sessions.get(client);
    if (!session) return callback(denyPublish('unauthenticated', packet.topic, client));
    const d = canPublish(session.rights, packet.topic, packet.retain === true, limits);
    callback(d.ok ? null : denyPublish(d.reason, packet.topic, client));
  };

  const authorizeSubscribe: AuthHooks['authorizeSubscribe'] = (client, subscription, callback) => {
    const session = sessions.get(client);
    const d = session
      ? canSubscribe(session.rights, subscription.topic, limits)
      : ({ ok: false, reason: 'unauthenticated' } as const);
    if (d.ok) return callback(null, subscription);
    metrics.deniedSubscribes.inc({ reason: d.reason });
    logger.debug(
      { clientId: client.id, topic: subscription.topic.slice(0, 256), reason: d.reason },
      'subscribe denied',
    );
    // null negates the subscription: SUBACK 0x80 for it, the connection stays up
    callback(null, null);
  };

  return { preConnect, authenticate, authorizePublish, authorizeSubscribe };
}
