import { open } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { KicksawError, type Logger, redactString, silentLogger } from '@kicksaw/core';
import type { Connection } from 'jsforce';
import { getToFile, TransportError } from './http-get.js';

/**
 * The HTTP layer of the engine. Why not `conn.request`: jsforce buffers every response body in
 * memory (results of a 100 MB job would be held whole) and needs the whole request body as a
 * string (no streamed upload); it also retries only GET/PUT/DELETE and reports a 5xx without its
 * status. So the engine calls Salesforce with `fetch`, taking the access token and instance URL
 * from the jsforce `Connection` on every attempt, and on a 401 asks jsforce's own session refresh
 * (the connection's refresh delegate: the same code `conn.request` runs) for a new token. Auth and
 * session renewal therefore still come from jsforce; streaming and retries are ours.
 */

/**
 * Retry settings of the HTTP layer.
 *
 * @example
 * ```ts
 * ingest({ ...options, http: { maxRetries: 8, retryDelayMs: 250 } });
 * ```
 */
export interface HttpRetryOptions {
  /** Attempts after the first on 429, 5xx and network errors. Default 5. */
  maxRetries?: number;
  /** First backoff in ms, doubled per attempt (capped at 30 s). Default 500. */
  retryDelayMs?: number;
}

/**
 * A Salesforce API call failed as a whole. `status` is the HTTP status (0 for a network failure).
 *
 * @example
 * ```ts
 * try {
 *   await ingestAll(options);
 * } catch (error) {
 *   if (error instanceof SalesforceApiError) console.log(error.status, error.errorCode);
 * }
 * ```
 */
export class SalesforceApiError extends KicksawError {
  readonly status: number;
  readonly errorCode: string;
  constructor(message: string, options: { status: number; errorCode: string; cause?: unknown }) {
    super(redactString(message), { code: options.errorCode, cause: options.cause });
    this.status = options.status;
    this.errorCode = options.errorCode;
  }
}

const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);

/** Context of every call. */
export interface HttpContext {
  conn: Connection;
  logger?: Logger;
  retry?: HttpRetryOptions;
}

/** A request sent with `fetch` (a streamed body goes through {@link sfSend} instead). */
export interface SfRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** A path from the instance root (`/services/data/v62.0/...`) or from the version root (`jobs/ingest`). */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Refuse a retry after a network error once the request may have been applied (POST). Default false. */
  noRetryAfterSend?: boolean;
}

/**
 * A request body that is written to the socket piece by piece: {@link sfSend} calls `writeTo` once
 * per attempt, and `write` resolves once the piece has left for the network, so the caller may
 * reuse its buffer (an upload of any size then holds one buffer, and makes no garbage).
 */
export interface StreamedBody {
  /** Exact length in bytes (sent as Content-Length). */
  bytes: number;
  /** Writes the whole body through `write`, awaiting each call before it reuses or drops the piece. */
  writeTo(write: (piece: Uint8Array) => Promise<void>): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The URL of a path on the connection's instance. */
export function apiUrl(conn: Connection, path: string): string {
  if (/^https?:\/\//.test(path)) return path;
  const base = conn.instanceUrl.replace(/\/+$/, '');
  if (path.startsWith('/services/')) return base + path;
  return `${base}/services/data/v${conn.version}/${path.replace(/^\/+/, '')}`;
}

/**
 * Renews an expired session through jsforce's own refresh (the login the connection was made with), unless
 * another call already did since this one used `usedToken`. Throws {@link SalesforceApiError} (401
 * `INVALID_SESSION_ID`) when the connection cannot renew (a bare access token).
 *
 * @example
 * ```ts
 * const token = conn.accessToken;
 * const since = Date.now();
 * // ... a request made with `token` answered 401 ...
 * await refreshSession(conn, token, since);
 * ```
 */
export async function refreshSession(
  conn: Connection,
  usedToken: string | undefined | null,
  since: number,
): Promise<void> {
  if (conn.accessToken && conn.accessToken !== usedToken) return;
  const delegate = (conn as unknown as { _refreshDelegate?: { refresh(since: number): Promise<void> } })
    ._refreshDelegate;
  if (!delegate) {
    throw new SalesforceApiError(
      'The Salesforce session expired (401 INVALID_SESSION_ID) and this connection cannot renew it: connect with a ' +
        'username/password, client credentials, JWT or refresh token instead of a bare access token.',
      { status: 401, errorCode: 'INVALID_SESSION_ID' },
    );
  }
  await delegate.refresh(since);
}

function isNetworkError(error: unknown): boolean {
  return (
    error instanceof TypeError ||
    error instanceof TransportError ||
    (error as { name?: string })?.name === 'SocketError'
  );
}

/** What the retry loop needs of an answer (a fetch `Response` is one). */
interface Answer {
  status: number;
  ok: boolean;
  text(): Promise<string>;
}

/**
 * The session and retry loop shared by every call: sends with the connection's current token,
 * renews the session on 401 (through jsforce), retries 429, 5xx and network failures with
 * exponential backoff, and throws {@link SalesforceApiError} for anything else that is not 2xx.
 */
async function withSession<A extends Answer>(
  ctx: HttpContext,
  request: { method: SfRequest['method']; path: string; noRetryAfterSend?: boolean | undefined },
  send: (url: string, auth: Record<string, string>) => Promise<A>,
): Promise<A> {
  const logger = ctx.logger ?? silentLogger;
  const maxRetries = ctx.retry?.maxRetries ?? 5;
  const baseDelay = ctx.retry?.retryDelayMs ?? 500;
  let retries = 0;
  let refreshes = 0;
  for (;;) {
    const token = ctx.conn.accessToken;
    const started = Date.now();
    const url = apiUrl(ctx.conn, request.path);
    let answer: A;
    try {
      answer = await send(url, token ? { Authorization: `Bearer ${token}` } : {});
    } catch (error) {
      const canRetry = isNetworkError(error) && retries < maxRetries && !request.noRetryAfterSend;
      if (!canRetry) {
        throw new SalesforceApiError(`${request.method} ${request.path} failed: ${describeError(error)}`, {
          status: 0,
          errorCode: 'NETWORK_ERROR',
          cause: error,
        });
      }
      retries++;
      logger.debug('Salesforce request failed on the network, retrying', {
        method: request.method,
        path: request.path,
        attempt: retries,
        error: describeError(error),
      });
      await sleep(Math.min(30_000, baseDelay * 2 ** (retries - 1)));
      continue;
    }
    if (answer.ok) return answer;
    const text = await answer.text().catch(() => '');
    if (answer.status === 401 && refreshes < 3 && !/not valid for use with the REST API/.test(text)) {
      refreshes++;
      logger.debug('Salesforce session expired, renewing', { path: request.path });
      await refreshSession(ctx.conn, token, started);
      continue;
    }
    if (RETRY_STATUS.has(answer.status) && retries < maxRetries) {
      retries++;
      logger.debug('Salesforce request got a transient status, retrying', {
        method: request.method,
        path: request.path,
        status: answer.status,
        attempt: retries,
      });
      await sleep(Math.min(30_000, baseDelay * 2 ** (retries - 1)));
      continue;
    }
    const { errorCode, message } = parseErrorBody(text, answer.status);
    throw new SalesforceApiError(
      `${request.method} ${request.path} failed with HTTP ${answer.status}: ${errorCode}: ${message}`,
      { status: answer.status, errorCode },
    );
  }
}

/**
 * Sends a request with the connection's current session, renewing it on 401 and retrying 429, 5xx
 * and network failures with exponential backoff. Returns the response (status 2xx) with its body
 * unread; throws {@link SalesforceApiError} otherwise.
 */
export function sfFetch(ctx: HttpContext, request: SfRequest): Promise<Response> {
  return withSession(ctx, request, (url, auth) =>
    fetch(url, {
      method: request.method,
      headers: { ...auth, ...request.headers },
      ...(request.body === undefined ? {} : { body: request.body }),
    }),
  );
}

/**
 * Sends a request whose body is a {@link StreamedBody} over node:http(s), with the same session
 * renewal and retries as {@link sfFetch} (the body is written again from its start on a retry).
 * Used for job uploads: `fetch` needs a fresh buffer for every piece of a streamed body, and tens of
 * megabytes of dead buffers pile up outside the JS heap before a garbage collection frees them.
 * Resolves with the status and the (small) answer text of a 2xx answer.
 */
export async function sfSend(
  ctx: HttpContext,
  request: {
    method: 'POST' | 'PUT' | 'PATCH';
    path: string;
    headers?: Record<string, string>;
    body: StreamedBody;
    /** Milliseconds without any progress before the attempt counts as a network failure. Default 300,000. */
    idleTimeoutMs?: number;
  },
): Promise<{ status: number; text: string }> {
  const answer = await withSession(ctx, request, (url, auth) =>
    sendOverNodeHttp(url, request.method, { ...auth, ...request.headers }, request.body, request.idleTimeoutMs),
  );
  return { status: answer.status, text: await answer.text() };
}

/**
 * Downloads `GET path` into the file at `file` (created or truncated on every attempt) with the
 * session renewal and retries of {@link sfFetch}; a connection that breaks mid-body is retried from
 * the start. Reads the socket through one reused buffer (see {@link getToFile}). Resolves with the
 * status (204: nothing written) and the number of bytes written.
 */
export async function sfDownload(
  ctx: HttpContext,
  request: { path: string; headers?: Record<string, string>; idleTimeoutMs?: number },
  file: string,
): Promise<{ status: number; bytes: number }> {
  const answer = await withSession(ctx, { method: 'GET', path: request.path }, async (url, auth) => {
    const handle = await open(file, 'w');
    try {
      return await getToFile(url, { ...auth, ...request.headers }, handle, {
        ...(request.idleTimeoutMs ? { idleTimeoutMs: request.idleTimeoutMs } : {}),
      });
    } finally {
      await handle.close();
    }
  });
  return { status: answer.status, bytes: answer.bytes };
}

const MAX_ANSWER_CHARS = 1 << 20;

function sendOverNodeHttp(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: StreamedBody,
  idleTimeoutMs = 300_000,
): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    let answered = false;
    let failed: Error | undefined;
    const fail = (error: Error): void => {
      failed ??= error;
      if (!answered) reject(failed);
    };
    const req = send(target, { method, headers: { ...headers, 'Content-Length': String(body.bytes) } });
    req.setTimeout(idleTimeoutMs, () => {
      req.destroy(new TransportError(`no progress for ${idleTimeoutMs} ms`));
    });
    req.on('error', (error) =>
      fail(error instanceof TransportError ? error : new TransportError(error.message, { cause: error })),
    );
    req.on('response', (res) => {
      const chunks: string[] = [];
      let chars = 0;
      res.setEncoding('utf8');
      res.on('data', (piece: string) => {
        if (chars < MAX_ANSWER_CHARS) chunks.push(piece);
        chars += piece.length;
      });
      res.on('error', (error) => fail(new TransportError(error.message, { cause: error })));
      res.on('close', () => {
        if (!res.complete) fail(new TransportError('the connection closed before the answer ended'));
      });
      res.on('end', () => {
        answered = true;
        const text = chunks.join('');
        const status = res.statusCode ?? 0;
        // An answer that came before the whole body was written (a 401 or 5xx at once): the
        // connection cannot be reused, and the writer must stop.
        if (!req.writableFinished) req.destroy();
        resolve({ status, ok: status >= 200 && status < 300, text: async () => text });
      });
    });
    const write = (piece: Uint8Array): Promise<void> =>
      new Promise<void>((done, stop) => {
        if (failed || answered || req.destroyed) {
          stop(failed ?? new TransportError('the request ended before its body was written'));
          return;
        }
        req.write(piece, (error) => (error ? stop(new TransportError(error.message, { cause: error })) : done()));
      });
    body.writeTo(write).then(
      () => {
        if (!answered && !req.destroyed) req.end();
      },
      (error: unknown) => {
        // The socket failed mid-body (a TransportError: retried), or producing the body failed (a
        // local error, not retried).
        if (answered) return;
        fail(error instanceof Error ? error : new Error(String(error)));
        req.destroy();
      },
    );
  });
}

/** Sends a JSON request and parses the JSON answer (undefined for 204 or an empty body). */
export async function sfJson<T>(
  ctx: HttpContext,
  method: SfRequest['method'],
  path: string,
  json?: unknown,
  extra: Partial<SfRequest> = {},
): Promise<T> {
  const response = await sfFetch(ctx, {
    method,
    path,
    headers: { Accept: 'application/json', ...(json === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    ...extra,
  });
  const text = await response.text();
  if (response.status === 204 || text.length === 0) return undefined as T;
  return JSON.parse(text) as T;
}

function parseErrorBody(text: string, status: number): { errorCode: string; message: string } {
  try {
    const parsed = JSON.parse(text) as unknown;
    const first = (Array.isArray(parsed) ? parsed[0] : parsed) as Record<string, unknown> | undefined;
    if (first && typeof first === 'object') {
      const errorCode = String(first.errorCode ?? first.error ?? first.statusCode ?? `HTTP_${status}`);
      const message = String(first.message ?? first.error_description ?? text);
      return { errorCode, message };
    }
  } catch {
    // not JSON
  }
  const xml = /<exceptionCode>([^<]*)<\/exceptionCode>[\s\S]*?<exceptionMessage>([^<]*)</.exec(text);
  if (xml) return { errorCode: xml[1] as string, message: xml[2] as string };
  return { errorCode: `HTTP_${status}`, message: text.slice(0, 500) };
}

/** A one-line, secret-free description of an error and its cause. */
export function describeError(error: unknown): string {
  const e = error as { name?: string; message?: string; code?: string; cause?: { code?: string; message?: string } };
  const cause = e?.cause ? ` (${e.cause.code ?? e.cause.message ?? ''})` : '';
  return redactString(`${e?.name ?? 'Error'}: ${e?.message ?? String(error)}${cause}`);
}
