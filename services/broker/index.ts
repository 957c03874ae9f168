export {
  ACL_KINDS,
  type AclKind,
  type AclLimits,
  canPublish,
  canSubscribe,
  canWill,
  type Decision,
  type DenyReason,
  parseAclTopic,
  type Rights,
  rightsOf,
  topicLevels,
  WARNING_KIND,
} from './acl.js';
export { type BrokerMetrics, createBrokerMetrics } from './metrics.js';
export { guardStream, PacketSizeScanner, type ScanViolation } from './packet-guard.js';
export { redisOptionsFromUrl } from './persistence.js';
export { type BrokerService, type BrokerServiceOptions, createBrokerService } from './server.js';
export { LoginThrottle, type ThrottleConfig } from './throttle.js';
