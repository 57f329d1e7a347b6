/**
 * `POST composite` (dependent subrequests with `@{referenceId.path}` references, optionally all or nothing) and
 * `POST composite/batch` (independent subrequests, optionally halted at the first error). Each subrequest runs through
 * the same router as an HTTP request (see `runSubrequest`).
 */
import { UnresolvedReference } from '../errors.js';
import type { ApiRequest } from '../server/context.js';
import { ApiError, readJsonObject, sendJson } from '../server/http.js';
import { type Dispatch, runSubrequest, type SubResponse } from '../server/subrequest.js';

/** Subrequests of one composite or batch request, as Salesforce limits them. */
const SUBREQUEST_LIMIT = 25;

const REFERENCE = /@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}/g;

const ROLLED_BACK = {
  errorCode: 'PROCESSING_HALTED',
  message: 'The transaction was rolled back since another operation in the same transaction failed.',
};

interface CompositeSubrequest {
  method: string;
  url: string;
  referenceId: string;
  body?: unknown;
  httpHeaders?: Record<string, string>;
}

interface CompositeResult {
  body: unknown;
  httpHeaders: Record<string, string>;
  httpStatusCode: number;
  referenceId: string;
}

function bad(message: string): ApiError {
  return new ApiError(400, 'INVALID_INPUT', message);
}

function tooMany(count: number): ApiError {
  return new ApiError(
    400,
    'LIMIT_EXCEEDED',
    `The request has ${count} subrequests; at most ${SUBREQUEST_LIMIT} are allowed. Split it into several requests.`,
  );
}

function parseComposite(body: Record<string, unknown>): CompositeSubrequest[] {
  const list = body.compositeRequest;
  if (!Array.isArray(list) || list.length === 0) {
    throw bad('compositeRequest must be a non-empty array of subrequests');
  }
  if (list.length > SUBREQUEST_LIMIT) throw tooMany(list.length);
  const seen = new Set<string>();
  return list.map((raw, index) => {
    const item = (raw ?? {}) as Record<string, unknown>;
    const { method, url, referenceId } = item;
    if (typeof method !== 'string' || typeof url !== 'string' || typeof referenceId !== 'string') {
      throw bad(`Subrequest ${index + 1} needs a method, a url and a referenceId`);
    }
    if (!/^[A-Za-z0-9_]+$/.test(referenceId)) {
      throw bad(`The referenceId ${referenceId} may contain only letters, digits and underscores`);
    }
    if (seen.has(referenceId)) throw bad(`Duplicate referenceId ${referenceId}: each subrequest needs its own`);
    seen.add(referenceId);
    const headers = item.httpHeaders as Record<string, string> | undefined;
    return { method, url, referenceId, body: item.body, ...(headers ? { httpHeaders: headers } : {}) };
  });
}

/** Follows `.name` / `[i]` steps into an earlier subrequest's body. */
function lookup(value: unknown, path: string): unknown {
  let current = value;
  for (const step of path.match(/\.[A-Za-z0-9_]+|\[\d+\]/g) ?? []) {
    if (current === null || current === undefined || typeof current !== 'object') return undefined;
    const key = step.startsWith('.') ? step.slice(1) : Number(step.slice(1, -1));
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

function resolveText(text: string, bodies: Map<string, unknown>): unknown {
  const whole = /^@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}$/.exec(text);
  const resolveOne = (ref: string, path: string): unknown => {
    if (!bodies.has(ref)) throw new UnresolvedReference(`@{${ref}${path}}`);
    const value = lookup(bodies.get(ref), path);
    if (value === undefined) throw new UnresolvedReference(`@{${ref}${path}}`);
    return value;
  };
  if (whole) return resolveOne(whole[1] as string, whole[2] ?? '');
  return text.replace(REFERENCE, (_, ref: string, path: string) => {
    const value = resolveOne(ref, path);
    return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
  });
}

/** Replaces every `@{ref.path}` in strings of a body (a whole-string reference keeps the value's JSON type). */
function resolveValue(value: unknown, bodies: Map<string, unknown>): unknown {
  if (typeof value === 'string') return value.includes('@{') ? resolveText(value, bodies) : value;
  if (Array.isArray(value)) return value.map((item) => resolveValue(item, bodies));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolveValue(item, bodies)]));
  }
  return value;
}

/** A collection answer (200 with per-record results) counts as failed when a record failed. */
function failed(response: SubResponse): boolean {
  if (response.status >= 400) return true;
  return (
    Array.isArray(response.body) &&
    response.body.some(
      (item) => item !== null && typeof item === 'object' && (item as { success?: unknown }).success === false,
    )
  );
}

/** Salesforce composite subrequests may not be composite requests themselves (except sObject Collections). */
function nestedComposite(url: string): boolean {
  const path = url.split('?')[0] ?? '';
  return (
    /\/services\/data\/v\d+\.\d\/composite(?:\/(?!sobjects)[^/]*)?\/?$/.test(path) || /\/composite\/batch/.test(path)
  );
}

/** A subrequest's URL and body with its `@{reference}`s resolved, or the result of a subrequest that cannot run. */
function resolveSubrequest(
  sub: CompositeSubrequest,
  bodies: Map<string, unknown>,
  allOrNone: boolean,
): { url: string; body: unknown } | { error: CompositeResult } {
  const refused = (body: unknown): { error: CompositeResult } => ({
    error: { body, httpHeaders: {}, httpStatusCode: 400, referenceId: sub.referenceId },
  });
  let url: string;
  let body: unknown;
  try {
    // A client may have percent-encoded the reference inside a query string.
    const plain = sub.url.replace(
      /%40%7B([A-Za-z0-9_.[\]%]+?)%7D/gi,
      (_, inner: string) => `@{${decodeURIComponent(inner)}}`,
    );
    url = String(resolveText(plain, bodies));
    body = resolveValue(sub.body, bodies);
  } catch (error) {
    if (!(error instanceof UnresolvedReference)) throw error;
    return refused([
      {
        errorCode: 'PROCESSING_HALTED',
        message: `Invalid reference specified. No value for ${error.message} found: the subrequest it names failed, has not run yet or does not exist.`,
      },
    ]);
  }
  if (nestedComposite(url)) {
    return refused([
      { errorCode: 'INVALID_INPUT', message: `A composite subrequest cannot be a composite request: ${url}` },
    ]);
  }
  // Under an all-or-none composite, sObject Collections subrequests are all or none too.
  if (allOrNone && body && typeof body === 'object' && !Array.isArray(body) && /\/composite\/sobjects/.test(url)) {
    body = { ...(body as Record<string, unknown>), allOrNone: true };
  }
  return { url, body };
}

/** Runs one resolved subrequest; a created record's answer gets its `Location` header, as Salesforce's does. */
async function runResolved(
  api: ApiRequest,
  dispatch: Dispatch,
  sub: CompositeSubrequest,
  url: string,
  body: unknown,
): Promise<{ result: CompositeResult; response: SubResponse }> {
  const response = await runSubrequest(api, dispatch, {
    method: sub.method,
    url,
    body,
    ...(sub.httpHeaders ? { headers: sub.httpHeaders } : {}),
  });
  const headers = { ...response.headers };
  const created = response.body as { id?: unknown } | null;
  if (response.status === 201 && sub.method.toUpperCase() === 'POST' && typeof created?.id === 'string') {
    const type = /\/sobjects\/([^/?]+)\/?(?:\?.*)?$/.exec(url)?.[1];
    if (type) headers.Location = `/services/data/v${api.version}/sobjects/${type}/${created.id}`;
  }
  const result = {
    body: response.body,
    httpHeaders: headers,
    httpStatusCode: response.status,
    referenceId: sub.referenceId,
  };
  return { result, response };
}

/** `POST composite` -> 200 `{ compositeResponse: [{ body, httpHeaders, httpStatusCode, referenceId }] }`. */
export async function handleComposite(api: ApiRequest, dispatch: Dispatch): Promise<void> {
  const request = await readJsonObject(api.req);
  const subrequests = parseComposite(request);
  const allOrNone = request.allOrNone === true;
  const bodies = new Map<string, unknown>();
  const results: CompositeResult[] = [];
  const transaction = allOrNone ? api.ctx.org.beginTransaction() : undefined;
  let failedAt = -1;
  try {
    for (const [index, sub] of subrequests.entries()) {
      const resolved = resolveSubrequest(sub, bodies, allOrNone);
      let halted: boolean;
      if ('error' in resolved) {
        results.push(resolved.error);
        halted = true;
      } else {
        const { result, response } = await runResolved(api, dispatch, sub, resolved.url, resolved.body);
        results.push(result);
        if (response.status < 400) bodies.set(sub.referenceId, response.body);
        halted = failed(response);
      }
      if (allOrNone && halted) {
        failedAt = index;
        break;
      }
    }
  } catch (error) {
    transaction?.rollback();
    throw error;
  }
  if (transaction && failedAt >= 0) {
    transaction.rollback();
    const answer = subrequests.map((sub, index): CompositeResult => {
      if (index === failedAt) return results[index] as CompositeResult;
      return { body: [ROLLED_BACK], httpHeaders: {}, httpStatusCode: 400, referenceId: sub.referenceId };
    });
    sendJson(api.res, 200, { compositeResponse: answer });
    return;
  }
  transaction?.commit();
  sendJson(api.res, 200, { compositeResponse: results });
}

interface BatchSubrequest {
  method: string;
  url: string;
  richInput?: unknown;
}

function parseBatch(body: Record<string, unknown>): BatchSubrequest[] {
  const list = body.batchRequests;
  if (!Array.isArray(list) || list.length === 0) throw bad('batchRequests must be a non-empty array of subrequests');
  if (list.length > SUBREQUEST_LIMIT) throw tooMany(list.length);
  return list.map((raw, index) => {
    const item = (raw ?? {}) as Record<string, unknown>;
    if (typeof item.method !== 'string' || typeof item.url !== 'string') {
      throw bad(`Batch subrequest ${index + 1} needs a method and a url`);
    }
    return { method: item.method, url: item.url, richInput: item.richInput };
  });
}

/** `vXX.X/sobjects/...` (relative to /services/data/) or a full `/services/data/vXX.X/...` path. */
function batchUrl(url: string): string {
  if (url.startsWith('/services/data/')) return url;
  return `/services/data/${url.replace(/^\/+/, '')}`;
}

/** `POST composite/batch` -> 200 `{ hasErrors, results: [{ statusCode, result }] }`; subrequests commit one by one. */
export async function handleCompositeBatch(api: ApiRequest, dispatch: Dispatch): Promise<void> {
  const request = await readJsonObject(api.req);
  const subrequests = parseBatch(request);
  const haltOnError = request.haltOnError === true;
  const results: Array<{ statusCode: number; result: unknown }> = [];
  let halted = false;
  for (const sub of subrequests) {
    if (halted) {
      results.push({
        statusCode: 412,
        result: [{ errorCode: 'BATCH_PROCESSING_HALTED', message: 'Batch processing halted per request' }],
      });
      continue;
    }
    const url = batchUrl(sub.url);
    const response = nestedComposite(url)
      ? {
          status: 400,
          headers: {},
          body: [{ errorCode: 'INVALID_INPUT', message: `A batch subrequest cannot be a composite request: ${url}` }],
        }
      : await runSubrequest(api, dispatch, { method: sub.method, url, body: sub.richInput });
    results.push({ statusCode: response.status, result: response.body });
    if (haltOnError && response.status >= 400) halted = true;
  }
  sendJson(api.res, 200, { hasErrors: results.some((result) => result.statusCode >= 400), results });
}
