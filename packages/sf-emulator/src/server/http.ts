import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import { ApiError, OrgError, RawError } from '../errors.js';

export { ApiError, RawError } from '../errors.js';

/** 404 `NOT_FOUND`: no such resource. */
export function notFound(): ApiError {
  return new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
}

/** 405 `METHOD_NOT_ALLOWED`, naming the methods the resource takes. */
export function methodNotAllowed(method: string, allowed: string[]): ApiError {
  return new ApiError(
    405,
    'METHOD_NOT_ALLOWED',
    `HTTP Method '${method}' not allowed. Allowed are ${allowed.join(',')}`,
  );
}

export const JSON_TYPE = 'application/json;charset=UTF-8';

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  sendText(res, status, JSON.stringify(body), JSON_TYPE, headers);
}

/** Sends a whole body with its type, its length and `headers` (how {@link sendText} and gzip responses answer). */
export type SendBody = (
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  contentType: string,
  headers?: Record<string, string>,
) => void;

/** Sends a whole body: text, or bytes already encoded (a compressed body). */
export const sendText: SendBody = (res, status, body, contentType, headers = {}) => {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
};

/**
 * Resolves when `target` (the response, or a stream in front of it) can take more, or when the response closes: a
 * client that goes away mid-download must not leave the writer waiting forever.
 */
export function drainedOrClosed(target: Writable, res: ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      target.off('drain', done);
      res.off('close', done);
      resolve();
    };
    target.once('drain', done);
    res.once('close', done);
  });
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, headers);
  res.end();
}

/** Writes an error as Salesforce does; anything unknown becomes a 500 UNKNOWN_EXCEPTION. */
export function sendError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error instanceof RawError) {
    sendText(res, error.status, error.body, error.contentType);
    return;
  }
  if (error instanceof ApiError || error instanceof OrgError) {
    const status = error instanceof ApiError ? error.status : error.status;
    const item: Record<string, unknown> = { message: error.message, errorCode: error.errorCode };
    if (error.fields && error.fields.length > 0) item.fields = error.fields;
    sendJson(res, status, [item]);
    return;
  }
  sendJson(res, 500, [
    {
      message: `An unexpected error occurred. Please include this ErrorId if you contact support: ${errorId()}`,
      errorCode: 'UNKNOWN_EXCEPTION',
    },
  ]);
}

let errorCounter = 0;
function errorId(): string {
  errorCounter++;
  return `${Date.now().toString(36)}${errorCounter.toString(36)}`.padStart(10, '0').slice(-10);
}

/** Reads a request body up to `limit` bytes (a 413 past it). */
export async function readBody(req: IncomingMessage, limit = 50 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) {
      throw new ApiError(413, 'REQUEST_ENTITY_TOO_LARGE', `Request body exceeds the limit of ${limit} bytes`);
    }
    chunks.push(buffer);
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
}

/** Reads and parses a JSON body; malformed JSON is 400 JSON_PARSER_ERROR. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const body = (await readBody(req)).toString('utf8');
  if (body.trim() === '') {
    throw new ApiError(400, 'JSON_PARSER_ERROR', 'The request body is empty. Expected a JSON object.');
  }
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new ApiError(
      400,
      'JSON_PARSER_ERROR',
      `Unexpected character in the JSON request body: ${(error as Error).message}`,
    );
  }
}

/** Reads a JSON object body (anything else is 400). */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const value = await readJson(req);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ApiError(400, 'JSON_PARSER_ERROR', 'Expected a JSON object in the request body');
  }
  return value as Record<string, unknown>;
}

/** Reads an `application/x-www-form-urlencoded` body (also accepts JSON objects of strings). */
export async function readForm(req: IncomingMessage): Promise<Record<string, string>> {
  const body = (await readBody(req, 1024 * 1024)).toString('utf8');
  const type = String(req.headers['content-type'] ?? '');
  if (type.includes('json')) {
    try {
      const parsed = JSON.parse(body) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(parsed).map(([key, value]) => [key, String(value)]));
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(body));
}

export function escapeXml(value: string): string {
  return value.replace(/[<>&"']/g, (char) => {
    switch (char) {
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '&':
        return '&amp;';
      case '"':
        return '&quot;';
      default:
        return '&apos;';
    }
  });
}

export function unescapeXml(value: string): string {
  return value
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&amp;/g, '&');
}
