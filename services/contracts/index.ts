/**
 * The sawing data standard v1 — the one contract every service, the edge gateway and the tests
 * import. zod is the single source; TypeScript types and the published JSON Schemas derive from it.
 */
export * from './ids.js';
export * from './json-schema.js';
export * from './messages.js';
export * from './topics.js';
export * from './validate.js';
export * from './variables.js';
