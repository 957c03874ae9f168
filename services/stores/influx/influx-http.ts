import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { HttpError, InfluxDB } from '@influxdata/influxdb-client';

/**
 * HTTP to InfluxDB through the official client's transport (`transport.send`), without its
 * WriteApi and retry buffer: one request, one answer or one error, so the caller (the ingest
 * spool) keeps control of retries and back-pressure. Every request has a deadline and a
 * timed-out or failed request is aborted, so a hung server never leaks sockets or hangs callers.
 */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A failed request: `status` null for network errors and timeouts, else the HTTP status. */
export class InfluxHttpError extends Error {
  constructor(
    readonly status: number | null,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'InfluxHttpError';
  }
}

/** InfluxDB's own words from an error body: 1.x/3.x `{"error"}`, 2.x `{"message"}`, else the text. */
export function errorText(body: string | undefined): string {
  if (!body) return '';
  try {
    const json = JSON.parse(body) as { error?: unknown; message?: unknown };
    const text = json.error ?? json.message;
    if (typeof text === 'string') return text;
  } catch {
    // not JSON
  }
  return body.slice(0, 500);
}

export interface RequestOptions {
  headers?: Record<string, string>;
  /** total deadline in ms; defaults to the connection timeout */
  deadlineMs?: number;
}

export class InfluxHttp {
  private readonly client: InfluxDB;
  private readonly agent: HttpAgent;

  constructor(
    url: string,
    private readonly timeoutMs: number,
    token: string | undefined,
  ) {
    this.agent = url.startsWith('https:')
      ? new HttpsAgent({ keepAlive: true })
      : new HttpAgent({ keepAlive: true });
    this.client = new InfluxDB({ url, token, timeout: timeoutMs, transportOptions: { agent: this.agent } });
  }

  /**
   * `body` as text or as the bytes to send (UTF-8): the client's Node.js transport takes either
   * (it turns the body into a Buffer with `Buffer.from`, which copies bytes as they are), although
   * its type names only strings; the write tests against a real InfluxDB send bytes.
   */
  request(
    method: string,
    path: string,
    body: string | Uint8Array = '',
    options: RequestOptions = {},
  ): Promise<HttpAnswer> {
    return new Promise<HttpAnswer>((resolve, reject) => {
      const controller = new AbortController();
      const deadline = options.deadlineMs ?? this.timeoutMs;
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, deadline);
      let status = 0;
      let headers: HttpAnswer['headers'] = {};
      const chunks: Uint8Array[] = [];
      this.client.transport.send(
        path,
        body as string,
        { method, headers: options.headers ?? {}, signal: controller.signal },
        {
          responseStarted(h, statusCode) {
            headers = h;
            status = statusCode ?? 0;
          },
          next(chunk) {
            chunks.push(chunk);
          },
          complete() {
            clearTimeout(timer);
            resolve({ status, headers, body: Buffer.concat(chunks).toString('utf8') });
          },
          error(err) {
            clearTimeout(timer);
            controller.abort(); // frees the socket of a timed-out request
            if (err instanceof HttpError) {
              reject(new InfluxHttpError(err.statusCode, errorText(err.body) || err.message, { cause: err }));
            } else {
              const why = timedOut ? `no answer within ${deadline} ms` : err.message || err.name;
              reject(new InfluxHttpError(null, `${method} ${path.split('?')[0]}: ${why}`, { cause: err }));
            }
          },
        },
      );
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
