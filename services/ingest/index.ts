export { convertRecord } from './convert.js';
export { type IngestDeps, IngestService } from './ingest-service.js';
export { type DeadLetter, type DeadLetterReason, IngestState } from './ingest-state.js';
export { type Cursor, Journal } from './journal.js';
export { MEASUREMENTS, messageToPoints } from './points.js';
export { type QualityEvent, SequenceTracker } from './sequence.js';
export { type Accept, inProcessSource, type MessageSource, mqttSource } from './sources.js';
