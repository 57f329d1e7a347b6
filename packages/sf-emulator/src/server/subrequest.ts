/**
 * Runs one REST call of a composite request in-process: the same router and handlers as an HTTP request, with a
 * request whose body is already known and a response that is captured instead of sent. Hand-written because the
 * handlers only need the few members of `IncomingMessage`/`ServerResponse` given here; a real loopback HTTP call per
 * subrequest would cost a socket each and count against the fault injector twice.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { ApiRequest } from './context.js';
import { ApiError, sendError } from './http.js';

/** Routes an API request whose `params` are the path segments after `/services/data/vXX.X/`. */
export type Dispatch = (api: ApiRequest, method: string) => Promise<void>;

/** What a subrequest answered. */
export interface SubResponse {
  status: number;
  /** Response headers without Content-Type and Content-Length (composite results leave them out). */
  headers: Record<string, string>;
  /** The parsed JSON body, the text when it is not JSON, null when empty. */
  body: unknown;
}

/** A subrequest: `url` is a `/services/data/vXX.X/...` path with its query string. */
export interface SubRequest {
  method: string;
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A ServerResponse stand-in that keeps what the handler wrote. */
class CapturedResponse {
  statusCode = 200;
  headersSent = false;
  private readonly headerMap = new Map<string, string>();
  private readonly chunks: Buffer[] = [];
  private finished: () => void = () => {};
  readonly done = new Promise<void>((resolve) => {
    this.finished = resolve;
  });

  setHeader(name: string, value: string | number | readonly string[]): this {
    this.headerMap.set(name, Array.isArray(value) ? value.join(', ') : String(value));
    return this;
  }

  writeHead(status: number, headers: Record<string, string | number> = {}): this {
    this.statusCode = status;
    for (const [name, value] of Object.entries(headers)) this.setHeader(name, value);
    this.headersSent = true;
    return this;
  }

  write(chunk: string | Buffer): boolean {
    this.headersSent = true;
    this.chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    return true;
  }

  end(chunk?: string | Buffer): this {
    if (chunk !== undefined) this.write(chunk);
    this.headersSent = true;
    this.finished();
    return this;
  }

  on(): this {
    return this;
  }

  destroy(): this {
    this.finished();
    return this;
  }

  result(): SubResponse {
    const headers: Record<string, string> = {};
    for (const [name, value] of this.headerMap) {
      const lower = name.toLowerCase();
      if (lower !== 'content-type' && lower !== 'content-length') headers[name] = value;
    }
    const text = Buffer.concat(this.chunks).toString('utf8');
    let body: unknown = null;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    return { status: this.statusCode, headers, body };
  }
}

/** The path segments after `/services/data/vXX.X/` of a subrequest URL, or a 400 naming the URL. */
function parseUrl(url: string): { version: string; path: string; query: URLSearchParams; segments: string[] } {
  const parsed = new URL(url.startsWith('/') ? url : `/${url}`, 'http://localhost');
  let path = parsed.pathname.replace(/\/{2,}/g, '/');
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  const match = /^\/services\/data\/v(\d+\.\d)(?:\/(.*))?$/.exec(path);
  if (!match) {
    throw new ApiError(400, 'INVALID_INPUT', `The subrequest URL ${url} is not a /services/data/vXX.X/ resource`);
  }
  const rest = match[2] ?? '';
  let segments: string[];
  try {
    segments = rest === '' ? [] : rest.split('/').map(decodeURIComponent);
  } catch {
    throw new ApiError(400, 'INVALID_INPUT', `The subrequest URL ${url} is not correctly encoded`);
  }
  return { version: match[1] as string, path, query: parsed.searchParams, segments };
}

/** Runs a subrequest as the caller of `outer`; errors become the Salesforce error body of the captured response. */
export async function runSubrequest(outer: ApiRequest, dispatch: Dispatch, sub: SubRequest): Promise<SubResponse> {
  const res = new CapturedResponse();
  const method = sub.method.toUpperCase();
  try {
    const { version, path, query, segments } = parseUrl(sub.url);
    const text = sub.body === undefined || sub.body === null ? '' : JSON.stringify(sub.body);
    const req = Readable.from(text === '' ? [] : [Buffer.from(text)]) as unknown as IncomingMessage;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    for (const [name, value] of Object.entries(sub.headers ?? {})) headers[name.toLowerCase()] = String(value);
    Object.assign(req, { method, url: sub.url, headers });
    const api: ApiRequest = {
      req,
      res: res as unknown as ServerResponse,
      ctx: outer.ctx,
      path,
      query,
      version,
      session: outer.session,
      params: segments,
    };
    await dispatch(api, method);
  } catch (error) {
    sendError(res as unknown as ServerResponse, error);
  }
  if (!res.headersSent) res.end();
  await res.done;
  return res.result();
}
