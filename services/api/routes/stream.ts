import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { CommandRecord } from '../../commands/index.js';
import { MachineState, Warning } from '../../contracts/index.js';
import { SawBrainError } from '../../core/errors.js';
import { machineFor, sees, visibleMachines } from '../access.js';
import type { ApiDeps } from '../deps.js';
import type { LiveEvent } from '../live.js';
import { route } from '../route.js';

const KINDS = ['state', 'warning', 'command'] as const;

export const StreamEvent = z
  .discriminatedUnion('kind', [
    z.object({
      kind: z.literal('state'),
      machineId: z.string(),
      tenant: z.string(),
      data: z.object({ state: MachineState, ts: z.number(), reason: z.string().nullable() }),
    }),
    z.object({ kind: z.literal('warning'), machineId: z.string(), tenant: z.string(), data: Warning }),
    z.object({ kind: z.literal('command'), machineId: z.string(), tenant: z.string(), data: CommandRecord }),
  ])
  .describe('one SSE message: `event: <kind>`, `data: <this object as JSON>`');

/** Server-sent events: live states, warnings and command changes of the machines the key sees. */
export function registerStreamRoutes(app: FastifyInstance, deps: ApiDeps): void {
  route(app, {
    method: 'GET',
    url: '/stream',
    tags: ['live'],
    summary: 'Live stream (SSE) of machine states, warnings and command changes, scoped to the key',
    description:
      'text/event-stream. On connect the current state of every machine in scope is sent, then changes as they ' +
      'happen. A revoked key is cut off at the next keep-alive (15 s).',
    roles: ['admin', 'manufacturer', 'plant'],
    querystring: z.object({
      machineId: z.string().optional().describe('only this machine'),
      kinds: z
        .string()
        .optional()
        .transform((s, ctx) => {
          if (!s) return [...KINDS];
          const list = s.split(',').map((x) => x.trim());
          for (const k of list)
            if (!(KINDS as readonly string[]).includes(k))
              ctx.addIssue({ code: 'custom', message: `unknown kind ${k}` });
          return list as (typeof KINDS)[number][];
        })
        .describe('comma-separated: state, warning, command (default all)'),
    }),
    contentType: 'text/event-stream',
    response: StreamEvent,
    example: {
      kind: 'state',
      machineId: 'CL-GZ4235-001',
      tenant: 'chenlong',
      data: { state: 'running', ts: 1_764_400_000_000, reason: null },
    },
    handler: ({ query, identity, raw: req }, reply) => {
      if (!deps.live) throw new SawBrainError('UNAVAILABLE', 'the live stream needs the broker link');
      const hub = deps.live;
      const only = query.machineId ? machineFor(identity, deps.registry, query.machineId).machineId : null;
      const kinds = new Set(query.kinds);
      const visible = (machineId: string, tenant: string) => {
        if (only !== null && machineId !== only) return false;
        const m = deps.registry.get(machineId);
        return m !== null && m.tenant === tenant && sees(identity, m);
      };
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      const send = (e: LiveEvent) => {
        if (!kinds.has(e.kind) || !visible(e.machineId, e.tenant)) return;
        res.write(`event: ${e.kind}\ndata: ${JSON.stringify(e)}\n\n`);
      };
      res.write(`: sawbrain live stream for ${identity.keyId}\nretry: 3000\n\n`);
      if (kinds.has('state')) {
        for (const m of visibleMachines(identity, deps.registry, false)) {
          if (only !== null && m.machineId !== only) continue;
          const s = hub.stateOf(m.machineId);
          if (s) send({ kind: 'state', machineId: m.machineId, tenant: m.tenant, data: s });
        }
      }
      const unsubscribe = hub.subscribe(send);
      const keepalive = setInterval(() => {
        const key = deps.keys.get(identity.keyId);
        if (!key || key.revokedAt !== null) {
          res.end(': key revoked\n\n');
          return;
        }
        res.write(': keep-alive\n\n');
      }, deps.config.api.streamKeepaliveMs);
      const close = () => {
        clearInterval(keepalive);
        unsubscribe();
      };
      req.raw.on('close', close);
      res.on('close', close);
      return undefined;
    },
  });
}
