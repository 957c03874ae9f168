import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { SawBrainError } from '../core/errors.js';
import type { ApiIdentity, ApiRole } from '../registry/index.js';
import { ErrorBody } from './schemas.js';

/**
 * One way to declare an API operation: its schemas (zod — validation, serialisation and the
 * OpenAPI document all come from them), the roles that may call it, and a response example that
 * is checked against the response schema when the app is built (so every operation in the
 * document carries a valid example). Object-level checks live in the handler via ./access.ts.
 */
export interface RouteDef<
  P extends z.ZodType,
  Q extends z.ZodType,
  B extends z.ZodType,
  R extends z.ZodType,
> {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
  url: string;
  tags: string[];
  summary: string;
  description?: string;
  roles: readonly ApiRole[];
  params?: P;
  querystring?: Q;
  body?: B;
  bodyExample?: z.input<B>;
  status?: 200 | 201 | 202;
  response: R;
  example: z.output<R>;
  /** a content type other than JSON for the main response (e.g. text/event-stream) */
  contentType?: string;
  /** statuses besides the main one this operation answers with (documented with the Error schema) */
  errors?: number[];
  handler: (
    req: {
      params: z.output<P>;
      query: z.output<Q>;
      body: z.output<B>;
      identity: ApiIdentity;
      raw: FastifyRequest;
    },
    reply: FastifyReply,
  ) => Promise<z.input<R> | undefined> | z.input<R> | undefined;
}

/** Declared operations, for the route × role matrix and the docs. */
export interface RouteInfo {
  method: string;
  url: string;
  roles: readonly ApiRole[];
}

export function identityOf(req: FastifyRequest): ApiIdentity {
  const id = req.identity;
  if (!id) throw new SawBrainError('UNAUTHENTICATED');
  return id;
}

const COMMON_ERRORS = [400, 401, 403, 429];

const CHOSEN = new WeakMap<FastifyReply, number>();
/** A handler answering with another of its documented statuses than the main one (e.g. 200 for a replay). */
export function answerWith(reply: FastifyReply, status: number): void {
  CHOSEN.set(reply, status);
}

/** Examples that do not match their schema (a test asserts this stays empty). */
export const EXAMPLE_PROBLEMS = new Set<string>();

export function route<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType>(
  app: FastifyInstance,
  def: RouteDef<P, Q, B, R>,
): void {
  // examples are checked against their schemas here; a mismatch is reported (test/api asserts none)
  const checked = def.response.safeParse(def.example);
  if (!checked.success)
    EXAMPLE_PROBLEMS.add(`${def.method} ${def.url} response: ${checked.error.issues[0]?.message ?? ''}`);
  if (def.body && def.bodyExample !== undefined && !def.body.safeParse(def.bodyExample).success)
    EXAMPLE_PROBLEMS.add(`${def.method} ${def.url} body example does not match its schema`);
  const status = def.status ?? 200;
  const main = def.response.meta({ examples: [def.example] });
  const response: Record<number, unknown> = {
    [status]: def.contentType
      ? { description: def.summary, content: { [def.contentType]: { schema: main } } }
      : main,
  };
  for (const code of [...COMMON_ERRORS, ...(def.errors ?? [404])]) response[code] = ErrorBody;
  const roles = def.roles;
  app.route({
    method: def.method,
    url: def.url,
    schema: {
      tags: def.tags,
      summary: def.summary,
      description: `${def.description ? `${def.description}\n\n` : ''}Roles: ${roles.join(', ')}.`,
      security: [{ bearer: [] }],
      ...(def.params ? { params: def.params } : {}),
      ...(def.querystring ? { querystring: def.querystring } : {}),
      ...(def.body
        ? { body: def.bodyExample !== undefined ? def.body.meta({ examples: [def.bodyExample] }) : def.body }
        : {}),
      response,
    },
    config: { roles },
    // role and object checks before the body is validated: a foreign id is 403 whatever the body
    preValidation: async (req) => {
      const id = identityOf(req);
      if (!roles.includes(id.role)) throw new SawBrainError('FORBIDDEN', `role ${id.role} may not do this`);
      req.server.guardParams(id, req.params);
    },
    handler: async (req, reply) => {
      const result = await def.handler(
        {
          params: req.params as z.output<P>,
          query: req.query as z.output<Q>,
          body: req.body as z.output<B>,
          identity: identityOf(req),
          raw: req,
        },
        reply,
      );
      if (reply.sent) return reply;
      return reply.code(CHOSEN.get(reply) ?? status).send(result);
    },
  });
}

/** The error body for a SawBrainError (the one shape every error takes). */
export function errorBody(err: SawBrainError, requestId: string) {
  return { error: { code: err.code, message: err.message, requestId } };
}

export { z };
