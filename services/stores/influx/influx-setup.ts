import type { Logger } from '../../core/logger.js';
import type { HttpAnswer, InfluxHttp } from './influx-http.js';

/**
 * Which InfluxDB answers, and making its databases exist:
 * - 1.x: `CREATE DATABASE` (idempotent) for each;
 * - 2.x: the org id, a bucket per database, and a DBRP mapping so the 1.x-compatible `/query`
 *   (InfluxQL) finds the bucket under the database name;
 * - 3.x: databases appear on first write; nothing to do.
 */
export type ApiVersion = '1' | '2' | '3';

function header(answer: HttpAnswer, name: string): string {
  const value = answer.headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? '';
}

/** The major version from a `/ping` answer: headers `X-Influxdb-Version` / `X-Influxdb-Build`, or a 3.x JSON body. */
export function versionFromPing(answer: HttpAnswer): ApiVersion | null {
  const build = header(answer, 'x-influxdb-build').toLowerCase();
  if (build === 'core' || build === 'enterprise') return '3';
  let version = header(answer, 'x-influxdb-version');
  if (!version && answer.body) {
    try {
      version = String((JSON.parse(answer.body) as { version?: unknown }).version ?? '');
    } catch {
      // not JSON
    }
  }
  const major = /^v?(\d+)\./.exec(version.trim())?.[1];
  return major === '1' || major === '2' || major === '3' ? major : null;
}

export interface SetupContext {
  http: InfluxHttp;
  version: ApiVersion;
  org: string;
  databases: readonly string[];
  /** extra query string for 1.x auth (`&u=..&p=..`), '' when none */
  v1Auth: string;
  headers: Record<string, string>;
  log: Logger;
}

export async function ensureDatabases(ctx: SetupContext): Promise<void> {
  if (ctx.version === '1') {
    for (const name of ctx.databases) {
      const q = encodeURIComponent(`CREATE DATABASE "${name}"`);
      const answer = await ctx.http.request('POST', `/query?q=${q}${ctx.v1Auth}`, '', {
        headers: ctx.headers,
      });
      const parsed = JSON.parse(answer.body || '{}') as { results?: { error?: string }[] };
      const error = parsed.results?.[0]?.error;
      if (error) throw new Error(`CREATE DATABASE ${name}: ${error}`);
    }
  } else if (ctx.version === '2') {
    await ensureBuckets(ctx);
  }
}

async function json<T>(ctx: SetupContext, method: string, path: string, body?: unknown): Promise<T> {
  const answer = await ctx.http.request(method, path, body === undefined ? '' : JSON.stringify(body), {
    headers: { ...ctx.headers, 'content-type': 'application/json' },
  });
  return (answer.body ? JSON.parse(answer.body) : {}) as T;
}

async function ensureBuckets(ctx: SetupContext): Promise<void> {
  const enc = encodeURIComponent;
  const orgs = await json<{ orgs?: { id: string }[] }>(ctx, 'GET', `/api/v2/orgs?org=${enc(ctx.org)}`);
  const orgID = orgs.orgs?.[0]?.id;
  if (!orgID) throw new Error(`InfluxDB organization ${ctx.org} not found`);
  for (const name of ctx.databases) {
    const found = await json<{ buckets?: { id: string }[] }>(
      ctx,
      'GET',
      `/api/v2/buckets?orgID=${enc(orgID)}&name=${enc(name)}`,
    );
    let bucketID = found.buckets?.[0]?.id;
    if (!bucketID) {
      const created = await json<{ id: string }>(ctx, 'POST', '/api/v2/buckets', {
        orgID,
        name,
        retentionRules: [],
      });
      bucketID = created.id;
      ctx.log.info({ bucket: name }, 'created InfluxDB bucket');
    }
    try {
      const dbrps = await json<{ content?: unknown[] }>(
        ctx,
        'GET',
        `/api/v2/dbrps?orgID=${enc(orgID)}&db=${enc(name)}`,
      );
      if (!dbrps.content?.length) {
        await json(ctx, 'POST', '/api/v2/dbrps', {
          orgID,
          bucketID,
          database: name,
          retention_policy: 'autogen',
          default: true,
        });
      }
    } catch (err) {
      // older 2.x without the DBRP API, or a token without that permission: reads may fail
      ctx.log.warn({ err, bucket: name }, 'could not ensure the DBRP mapping for InfluxQL reads');
    }
  }
}
