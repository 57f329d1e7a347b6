import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { type Logger, redactString, silentLogger } from '@kicksaw/core';
import { DEFAULT_API_VERSION } from './config.js';
import { SalesforceApiError, TransportError } from './errors.js';
import { retryCall } from './retry.js';
import type { SalesforceConnection } from './session.js';
import { ERROR_TEXT_CHARS, getToFile, readText, send } from './transport.js';

/**
 * The session layer of the engine's calls. Why not `conn.request`: jsforce buffers every response body in
 * memory (results of a 100 MB job would be held whole) and needs the whole request body as a
 * string (no streamed upload); it also retries only GET/PUT/DELETE and reports a 5xx without its
 * status. So the engine calls Salesforce through its own transport (transport.ts, undici), taking the
 * access token and instance URL from the jsforce `Connection` on every attempt, and on a 401 asks
 * jsforce's session refresh (the connection's refresh delegate: for a connection made by
 * {@link connect}, the same login over the same transport) for a new token. Retries are the shared
 * loop of retry.ts.
 *
 * About 350 lines: the session loop (`withSession`) and the five call shapes built on it (`sfRequest`,
 * `sfFetch`, `sfSend`, `sfDownload`, `sfJson`), each a few lines over the loop.
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

const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);

/** Context of every call. */
export interface HttpContext {
  conn: SalesforceConnection;
  logger?: Logger;
  retry?: HttpRetryOptions;
}

/** A request of {@link sfRequest} (a streamed body goes through {@link sfSend} instead). */
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
 * A request body that is written piece by piece: {@link sfSend} calls `writeTo` once per attempt, and
 * `write` resolves once the transport has taken (copied) the piece, so the caller may reuse its buffer.
 */
export interface StreamedBody {
  /** Exact length in bytes (sent as Content-Length). */
  bytes: number;
  /** Writes the whole body through `write`, awaiting each call before it reuses or drops the piece. */
  writeTo(write: (piece: Uint8Array) => Promise<void>): Promise<void>;
}

/** The URL of a path on the connection's instance. */
export function apiUrl(conn: SalesforceConnection, path: string): string {
  if (/^https?:\/\//.test(path)) return path;
  const base = conn.instanceUrl.replace(/\/+$/, '');
  if (path.startsWith('/services/')) return base + path;
  return `${base}/services/data/v${conn.version ?? DEFAULT_API_VERSION}/${path.replace(/^\/+/, '')}`;
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
  conn: SalesforceConnection,
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

/** What the session loop needs of an answer. */
interface Answer {
  status: number;
  ok: boolean;
  text(): Promise<string>;
}

// The three signals below are thrown inside the loop of withSession so that its judge can tell them
// apart. They are control flow, not errors, so they do not extend Error (no stack is captured), and
// none leaves withSession: `again` consumes RENEWED, and its catch turns the other two into what the
// caller sees (the renewal's own error, or a SalesforceApiError).

/** A non-2xx answer, thrown inside the loop so the loop can judge it. */
class StatusAnswer {
  constructor(
    readonly status: number,
    readonly text: string,
  ) {}
}

/** The session was renewed: the call is sent again at once (not counted as a retry). */
const RENEWED: unique symbol = Symbol('session renewed');

/** An error of the session renewal, thrown as it is. */
class RenewalFailed {
  constructor(readonly error: unknown) {}
}

/**
 * The session and retry loop shared by every call: sends with the connection's current token,
 * renews the session on 401 (through jsforce, at most 3 times), retries 429, 5xx and network
 * failures with exponential backoff (the loop of retry.ts, which logins use too), and throws
 * {@link SalesforceApiError} for anything else that is not 2xx.
 */
async function withSession<A extends Answer>(
  ctx: HttpContext,
  request: { method: SfRequest['method']; path: string; noRetryAfterSend?: boolean | undefined },
  sendOnce: (url: string, auth: Record<string, string>) => Promise<A>,
): Promise<A> {
  const logger = ctx.logger ?? silentLogger;
  let refreshes = 0;
  try {
    return await retryCall(
      { maxRetries: ctx.retry?.maxRetries ?? 5, retryDelayMs: ctx.retry?.retryDelayMs ?? 500 },
      async () => {
        const token = ctx.conn.accessToken;
        const started = Date.now();
        const answer = await sendOnce(
          apiUrl(ctx.conn, request.path),
          token ? { Authorization: `Bearer ${token}` } : {},
        );
        if (answer.ok) return answer;
        const text = await answer.text().catch(() => '');
        if (answer.status === 401 && refreshes < 3 && !/not valid for use with the REST API/.test(text)) {
          refreshes++;
          logger.debug('Salesforce session expired, renewing', { path: request.path });
          await refreshSession(ctx.conn, token, started).catch((error: unknown) => {
            throw new RenewalFailed(error);
          });
          throw RENEWED;
        }
        throw new StatusAnswer(answer.status, text);
      },
      (error) => {
        if (error === RENEWED) return 'again';
        if (error instanceof StatusAnswer) return RETRY_STATUS.has(error.status) ? 'retry' : 'fail';
        return isNetworkError(error) && !request.noRetryAfterSend ? 'retry' : 'fail';
      },
      (error, attempt) => {
        if (error instanceof StatusAnswer) {
          logger.debug('Salesforce request got a transient status, retrying', {
            method: request.method,
            path: request.path,
            status: error.status,
            attempt,
          });
        } else {
          logger.debug('Salesforce request failed on the network, retrying', {
            method: request.method,
            path: request.path,
            attempt,
            error: describeError(error),
          });
        }
      },
    );
  } catch (error) {
    if (error instanceof RenewalFailed) throw error.error;
    if (error instanceof StatusAnswer) {
      const { errorCode, message } = parseErrorBody(error.text, error.status);
      throw new SalesforceApiError(
        `${request.method} ${request.path} failed with HTTP ${error.status}: ${errorCode}: ${message}`,
        { status: error.status, errorCode },
      );
    }
    throw new SalesforceApiError(`${request.method} ${request.path} failed: ${describeError(error)}`, {
      status: 0,
      errorCode: 'NETWORK_ERROR',
      cause: error,
    });
  }
}

/** A 2xx answer of {@link sfRequest}: its body streams (read it, or `dump()` it, to free the connection). */
export interface SfAnswer {
  status: number;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  body: Readable;
}

/**
 * Sends a request with the connection's current session, renewing it on 401 and retrying 429, 5xx
 * and network failures with exponential backoff. Resolves with a 2xx answer whose body is a Node
 * stream, unread (read with back-pressure, or dump it); throws {@link SalesforceApiError} otherwise.
 */
export async function sfRequest(ctx: HttpContext, request: SfRequest): Promise<SfAnswer> {
  const answer = await withSession(ctx, request, async (url, auth) => {
    const sent = await send(
      url,
      { method: request.method, headers: { ...auth, ...request.headers }, body: request.body },
      ctx.conn,
    );
    // `text` is read only for an answer that is not 2xx (its error message).
    return { ...sent, text: () => readText(sent.body, ERROR_TEXT_CHARS) };
  });
  return { status: answer.status, headers: answer.headers, body: answer.body as unknown as Readable };
}

/**
 * {@link sfRequest} with the answer as a WHATWG `Response` (body unread), for callers written against
 * `fetch`. The engine itself reads answers as Node streams ({@link sfRequest}).
 */
export async function sfFetch(ctx: HttpContext, request: SfRequest): Promise<Response> {
  const answer = await sfRequest(ctx, request);
  const empty = answer.status === 204 || answer.status === 205 || answer.status === 304;
  if (empty) answer.body.resume();
  return new Response(empty ? null : (Readable.toWeb(answer.body) as ReadableStream), {
    status: answer.status,
    headers: answer.headers,
  });
}

/**
 * Sends a request whose body is a {@link StreamedBody}, with the same session renewal and retries as
 * {@link sfRequest} (the body is written again from its start on a retry). Each piece is copied once
 * and taken by the transport before the next is asked for (back-pressure), so an upload of any size
 * holds at most two pieces. Resolves with the status and the (small) answer text of a 2xx answer.
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
  const answer = await withSession(ctx, request, async (url, auth) => {
    const sent = await send(
      url,
      {
        method: request.method,
        headers: { ...auth, ...request.headers },
        body: request.body,
        idleTimeoutMs: request.idleTimeoutMs,
      },
      ctx.conn,
    );
    const text = await readText(sent.body);
    return { status: sent.status, ok: sent.ok, text: async () => text };
  });
  return { status: answer.status, text: await answer.text() };
}

/**
 * Downloads `GET path` into the file at `file` (created or truncated on every attempt) with the
 * session renewal and retries of {@link sfRequest}; a connection that breaks mid-body is retried from
 * the start. Each piece of the body is written to the file before the next is read (see
 * {@link getToFile}). Resolves with the status (204: nothing written) and the number of bytes written.
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
        idleTimeoutMs: request.idleTimeoutMs,
        conn: ctx.conn,
      });
    } finally {
      await handle.close();
    }
  });
  return { status: answer.status, bytes: answer.bytes };
}

/** Sends a JSON request and parses the JSON answer (undefined for 204 or an empty body). */
export async function sfJson<T>(
  ctx: HttpContext,
  method: SfRequest['method'],
  path: string,
  json?: unknown,
  extra: Partial<SfRequest> = {},
): Promise<T> {
  const response = await sfRequest(ctx, {
    method,
    path,
    headers: { Accept: 'application/json', ...(json === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    ...extra,
  });
  const text = await readText(response.body);
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
