export { AuditEntry, type AuditFilter, type AuditInput, AuditLog } from './audit.js';
export { BrokerLink, type BrokerLinkOptions, type LinkMessage } from './link.js';
export { CommandService, type CommandServiceDeps } from './service.js';
export { type CommandFilter, CommandStore } from './store.js';
export { CommandParams, CommandRecord, CommandRequest, CommandStatus, TERMINAL } from './types.js';
