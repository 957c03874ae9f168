import type { Config } from '../../core/config.js';
import { isSawBrainError, SawBrainError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import {
  DATABASES,
  type DatabaseName,
  type DeleteQuery,
  type DeleteResult,
  type Point,
  type SeriesQuery,
  type SeriesRow,
  type StoreBatch,
  type TelemetryStore,
} from '../../core/ports.js';
import { checkDelete, checkQuery } from '../validate.js';
import { InfluxHttp, InfluxHttpError } from './influx-http.js';
import { type ApiVersion, ensureDatabases, versionFromPing } from './influx-setup.js';
import { buildDelete, buildInfluxQL, parseAnswer, v2DeleteBody } from './influxql.js';
import { BodyBuilder, toBodies } from './line-protocol.js';

/**
 * The TelemetryStore on InfluxDB 1.x, 2.x or 3.x. Writes are line protocol in bodies of ≤ 10,000
 * lines (InfluxDB advises 5,000–10,000; an ingest batch of ~5,000 points is one request), POSTed
 * one after the other to `/write` (1.x, 3.x) or `/api/v2/write` (2.x); reads are InfluxQL on
 * `/query` (all three). Nothing is buffered or retried here: a connection error, a
 * timeout, 5xx, 401/403/404/429 reject with STORE_UNAVAILABLE (retry later), any other 4xx with
 * STORE_REJECTED carrying InfluxDB's message (bad data, do not retry).
 * If the server is down at start(), version detection and database creation happen on first use.
 *
 * Deletes (retention of raw data): 1.x `DELETE FROM … WHERE time < … AND tag = …` on `/query`
 * (a retention policy would expire every measurement of the database, the 1-minute downsample
 * too); 2.x `POST /api/v2/delete` with a predicate; 3.x has no delete by time range (its v1/v2
 * compatibility APIs do not offer one, its own API deletes whole databases or tables), so
 * deleteBefore answers `supported: false` there and the database's or table's retention period
 * is what expires data. InfluxDB does not say how many points a delete removed (`deleted: null`).
 */
const MAX_LINES = 10_000;
const enc = encodeURIComponent;

export class InfluxStore implements TelemetryStore {
  readonly kind = 'influx' as const;
  private readonly http: InfluxHttp;
  private readonly log: Logger;
  private readonly cfg: Config['influx'];
  private version: ApiVersion = '1';
  private initialized = false;
  private initializing: Promise<void> | null = null;
  private stopped = false;

  constructor(opts: { config: Config['influx']; logger: Logger }) {
    if (!opts.config.url)
      throw new SawBrainError('CONFIG_INVALID', 'influx.url is required for the InfluxStore');
    this.cfg = opts.config;
    this.log = opts.logger.child({ svc: 'influx-store', host: new URL(opts.config.url).host });
    this.http = new InfluxHttp(opts.config.url, opts.config.timeoutMs, undefined);
  }

  /** The database (1.x/3.x) or bucket (2.x) behind a logical database. */
  dbName(db: DatabaseName): string {
    return `${this.cfg.databasePrefix}${db}`;
  }

  get apiVersion(): ApiVersion {
    return this.version;
  }

  async start(): Promise<void> {
    try {
      await this.init();
    } catch (err) {
      if (!isSawBrainError(err, 'STORE_UNAVAILABLE')) throw err;
      this.log.warn({ err: err.message }, 'InfluxDB not reachable at start, will set up on first use');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.http.close();
  }

  async ping(): Promise<boolean> {
    if (this.stopped) return false;
    try {
      const answer = await this.http.request('GET', '/ping');
      return answer.status >= 200 && answer.status < 300;
    } catch {
      return false;
    }
  }

  /** 1.x auth as query parameters: username/password, or a token "user:password". */
  private get v1Auth(): string {
    if (this.version !== '1') return '';
    let { username, password } = this.cfg;
    if (!username && this.cfg.token?.includes(':')) {
      const at = this.cfg.token.indexOf(':');
      username = this.cfg.token.slice(0, at);
      password = this.cfg.token.slice(at + 1);
    }
    return username ? `&u=${enc(username)}&p=${enc(password ?? '')}` : '';
  }

  private get headers(): Record<string, string> {
    return this.version !== '1' && this.cfg.token ? { authorization: `Token ${this.cfg.token}` } : {};
  }

  private init(): Promise<void> {
    if (this.stopped)
      return Promise.reject(new SawBrainError('STORE_UNAVAILABLE', 'the influx store is stopped'));
    if (this.initialized) return Promise.resolve();
    this.initializing ??= this.setUp().finally(() => {
      this.initializing = null;
    });
    return this.initializing;
  }

  private async setUp(): Promise<void> {
    try {
      if (this.cfg.apiVersion === 'auto') {
        const detected = versionFromPing(await this.http.request('GET', '/ping'));
        if (!detected) this.log.warn('InfluxDB version not recognised from /ping, assuming 1.x endpoints');
        this.version = detected ?? '1';
      } else {
        this.version = this.cfg.apiVersion;
      }
      await ensureDatabases({
        http: this.http,
        version: this.version,
        org: this.cfg.org,
        databases: DATABASES.map((db) => this.dbName(db)),
        v1Auth: this.v1Auth,
        headers: this.headers,
        log: this.log,
      });
      this.initialized = true;
      this.log.info({ apiVersion: this.version }, 'InfluxDB telemetry store ready');
    } catch (err) {
      throw new SawBrainError('STORE_UNAVAILABLE', `InfluxDB set-up failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  private writePath(db: DatabaseName): string {
    const name = enc(this.dbName(db));
    return this.version === '2'
      ? `/api/v2/write?org=${enc(this.cfg.org)}&bucket=${name}&precision=ms`
      : `/write?db=${name}&precision=ms${this.v1Auth}`;
  }

  async write(points: readonly Point[]): Promise<void> {
    if (points.length === 0) return;
    await this.writeBodies(toBodies(points, MAX_LINES)); // validates everything before anything is sent
  }

  /** Line protocol built as points are added: the batch holds text until it is written. */
  batch(): StoreBatch {
    const builder = new BodyBuilder(MAX_LINES);
    return {
      add: (points) => builder.add(points),
      addSamples: (db, measurement, tags, samples) => builder.addSamples(db, measurement, tags, samples),
      get points() {
        return builder.points;
      },
      write: () => (builder.points === 0 ? Promise.resolve() : this.writeBodies(builder.bodies())),
    };
  }

  private async writeBodies(bodies: Map<DatabaseName, Buffer[]>): Promise<void> {
    await this.init();
    const headers = { ...this.headers, 'content-type': 'text/plain; charset=utf-8' };
    for (const [db, chunks] of bodies) {
      for (const body of chunks) {
        try {
          await this.http.request('POST', this.writePath(db), body, { headers });
        } catch (err) {
          throw this.writeError(err, db);
        }
      }
    }
  }

  private writeError(err: unknown, db: DatabaseName): SawBrainError {
    if (!(err instanceof InfluxHttpError))
      return new SawBrainError('STORE_UNAVAILABLE', String(err), { cause: err });
    const { status, message } = err;
    if (status === 404) this.initialized = false; // database or bucket gone: create it again next time
    if (status === null || status >= 500 || [401, 403, 404, 408, 429].includes(status)) {
      return new SawBrainError('STORE_UNAVAILABLE', `${this.dbName(db)}: ${message}`, { cause: err });
    }
    return new SawBrainError('STORE_REJECTED', `${this.dbName(db)}: ${message}`, { cause: err });
  }

  async query(q: SeriesQuery): Promise<SeriesRow[]> {
    checkQuery(q);
    await this.init();
    const text = buildInfluxQL(q);
    const path = `/query?db=${enc(this.dbName(q.db))}&epoch=ms&chunked=true&chunk_size=10000&q=${enc(text)}${this.v1Auth}`;
    let body: string;
    try {
      body = (
        await this.http.request('GET', path, '', {
          headers: this.headers,
          deadlineMs: this.cfg.timeoutMs * 6,
        })
      ).body;
    } catch (err) {
      if (!(err instanceof InfluxHttpError)) throw err;
      if (/database not found/i.test(err.message)) return [];
      const { status } = err;
      if (status === null || status >= 500 || [401, 403, 404, 408, 429].includes(status)) {
        throw new SawBrainError('STORE_UNAVAILABLE', err.message, { cause: err });
      }
      throw new SawBrainError('QUERY_INVALID', `${err.message} (${text})`, { cause: err });
    }
    return parseAnswer(body, q);
  }

  async deleteBefore(d: DeleteQuery): Promise<DeleteResult> {
    checkDelete(d);
    await this.init();
    const name = this.dbName(d.db);
    const options = { headers: this.headers, deadlineMs: this.cfg.timeoutMs * 6 };
    try {
      if (this.version === '3') return { supported: false, deleted: null };
      if (this.version === '2') {
        const body = v2DeleteBody(d);
        if (body) {
          await this.http.request(
            'POST',
            `/api/v2/delete?org=${enc(this.cfg.org)}&bucket=${enc(name)}`,
            JSON.stringify(body),
            { ...options, headers: { ...options.headers, 'content-type': 'application/json' } },
          );
        }
        return { supported: true, deleted: null };
      }
      const text = buildDelete(d);
      const answer = await this.http.request(
        'POST',
        `/query?db=${enc(name)}&q=${enc(text)}${this.v1Auth}`,
        '',
        options,
      );
      let parsed: { results?: { error?: string }[]; error?: string };
      try {
        parsed = JSON.parse(answer.body || '{}') as typeof parsed;
      } catch {
        throw new SawBrainError('STORE_UNAVAILABLE', `${name}: not an InfluxDB answer to DELETE`);
      }
      const error = parsed.error ?? parsed.results?.find((r) => r.error)?.error;
      if (error && !/database not found/i.test(error)) {
        throw new SawBrainError('QUERY_INVALID', `${error} (${text})`);
      }
      return { supported: true, deleted: null };
    } catch (err) {
      if (!(err instanceof InfluxHttpError)) throw err;
      if (/database not found|bucket .*not found/i.test(err.message))
        return { supported: true, deleted: null };
      const { status } = err;
      if (status === null || status >= 500 || [401, 403, 404, 408, 429].includes(status)) {
        throw new SawBrainError('STORE_UNAVAILABLE', `${name}: ${err.message}`, { cause: err });
      }
      throw new SawBrainError('QUERY_INVALID', `${name}: ${err.message}`, { cause: err });
    }
  }
}
