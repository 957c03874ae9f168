import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_PROBLEMS } from '../../services/api/route.js';
import type { TestSystem } from '../helpers/system.js';
import { bootApi, call } from './helpers.js';

// biome-ignore lint/suspicious/noExplicitAny: API answers and the OpenAPI document are walked as plain JSON
type Json = any;

/**
 * The OpenAPI document is generated from the same zod schemas that validate requests and
 * responses; here it is checked against the OpenAPI 3.1 meta-schema, for completeness (every
 * route of the app is in it) and for examples (every operation's success response has one, and
 * every example matched its schema when the app was built).
 */
describe('OpenAPI document', () => {
  let t: TestSystem;
  let doc: { openapi: string; paths: Record<string, Record<string, Record<string, Json>>> };
  beforeAll(async () => {
    t = await bootApi();
    doc = (await call(t.sys, null, 'GET', '/api/v1/openapi.json')).json;
  });
  afterAll(async () => t?.close());

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const res = await validator.validate(structuredClone(doc));
    expect(res.errors ?? []).toEqual([]);
    expect(res.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('lists every route of the app', () => {
    const routes = t.sys.api!.app.routeList.filter(
      (r) => !r.hidden && r.method !== 'HEAD' && !r.url.startsWith('/docs'),
    );
    expect(routes.length).toBeGreaterThan(40);
    const missing = routes.filter((r) => {
      const path = r.url.replace(/:(\w+)/g, '{$1}');
      return !doc.paths[path]?.[r.method.toLowerCase()];
    });
    expect(missing).toEqual([]);
  });

  it('every operation has a success response with an example, and the examples match their schemas', () => {
    expect([...EXAMPLE_PROBLEMS]).toEqual([]);
    const without: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops)) {
        const ok = Object.entries(op.responses ?? {}).find(([code]) => code.startsWith('2'));
        const content: Record<string, Json> =
          (ok?.[1] as { content?: Record<string, Json> } | undefined)?.content ?? {};
        const has = Object.values(content).some(
          (c: Json) => c.example !== undefined || c.examples !== undefined || c.schema?.examples?.length > 0,
        );
        if (!has) without.push(`${method.toUpperCase()} ${path}`);
        if (op.requestBody) {
          const body = op.requestBody.content?.['application/json'];
          if (body?.example === undefined && !body?.schema?.examples?.length)
            without.push(`${method.toUpperCase()} ${path} body`);
        }
      }
    expect(without).toEqual([]);
  });

  it('documents authentication and the error body on every keyed operation', () => {
    for (const [path, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops)) {
        if (!path.startsWith('/api/v1/') || path === '/api/v1/status') continue;
        expect(op.security, `${method} ${path}`).toEqual([{ bearer: [] }]);
        expect(op.responses['403'], `${method} ${path}`).toBeDefined();
        expect(op.responses['401'], `${method} ${path}`).toBeDefined();
      }
  });

  it('docs/api.md lists every operation with the roles the app enforces', () => {
    const md = readFileSync(join(import.meta.dirname, '../../docs/api.md'), 'utf8');
    const problems: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops)) {
        const roles = /Roles: ([^.]*)\./.exec(op.description ?? '')?.[1] ?? 'public';
        const row = `| \`${method.toUpperCase()}\` | \`${path}\` | ${roles} |`;
        if (!md.includes(row)) problems.push(row);
      }
    expect(problems).toEqual([]);
  });

  it('serves the UI', async () => {
    const res = await t.sys.api!.app.inject({ method: 'GET', url: '/docs/' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('swagger');
  });
});
