import { z } from 'zod';
import { MESSAGE_SCHEMAS, type MessageKind } from './topics.js';

/** JSON Schema (draft 2020-12) of one message kind, generated from the zod source. */
export function jsonSchemaOf(kind: MessageKind): Record<string, unknown> {
  const schema = z.toJSONSchema(MESSAGE_SCHEMAS[kind], {
    target: 'draft-2020-12',
    unrepresentable: 'any',
    io: 'input',
  });
  return {
    $id: `https://sawbrain.dev/schemas/v1/${kind}.json`,
    title: `SawBrain sawing data standard v1 — ${kind}`,
    ...schema,
  };
}
