// The HTTP front of the emulator: a request's path and method to its handler, API faults and request counting on
// the way. `handle` and `route` are longer than a screen on purpose: together they are the URL map of the org, read
// top to bottom (one line or two a resource), and every handler they call lives in its own module.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  handleAuthorize,
  handleIdentity,
  handleRevoke,
  handleSoap,
  handleToken,
  handleUserInfo,
} from '../auth/oauth.js';
import type { Session } from '../auth/tokens.js';
import { asyncError } from '../bulk/v1.js';
import {
  handleCollectionDelete,
  handleCollectionRetrieve,
  handleCollectionSave,
  handleCollectionUpsert,
} from '../rest/collections.js';
import { handleComposite, handleCompositeBatch } from '../rest/composite.js';
import { handleCompositeTree } from '../rest/composite-tree.js';
import {
  handleApprovalLayouts,
  handleCompactLayouts,
  handleLayouts,
  handleNamedLayout,
  handleRecordTypeLayout,
} from '../rest/layouts.js';
import { handleListView, handleListViewDescribe, handleListViewResults, handleListViews } from '../rest/listviews.js';
import {
  handleDescribe,
  handleDescribeGlobal,
  handleLimits,
  handleResources,
  handleToolingQuery,
  handleVersions,
} from '../rest/misc.js';
import { handleQuery, handleQueryMore } from '../rest/query.js';
import { handleGetDeleted, handleGetUpdated } from '../rest/replication.js';
import { handleSearch } from '../rest/search.js';
import {
  handleCreate,
  handleDelete,
  handleDeleteByExternalId,
  handleObjectInfo,
  handleRetrieve,
  handleRetrieveByExternalId,
  handleUpdate,
  handleUpsert,
} from '../rest/sobjects.js';
import { handleRecent, handleTabs, handleTheme } from '../rest/ui.js';
import { handleAdmin } from './admin.js';
import type { ApiRequest, EmulatorContext } from './context.js';
import { ApiError, methodNotAllowed, notFound, sendError, sendJson } from './http.js';
import type { Dispatch } from './subrequest.js';

/** The access token of a request: `Authorization: Bearer|OAuth <token>` or `X-SFDC-Session`. */
function tokenOf(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (typeof header === 'string') {
    const match = /^(?:Bearer|OAuth)\s+(.+)$/i.exec(header.trim());
    if (match) return match[1]?.trim();
  }
  const session = req.headers['x-sfdc-session'];
  if (typeof session === 'string' && session.trim() !== '') return session.trim();
  return undefined;
}

function invalidSession(): ApiError {
  return new ApiError(401, 'INVALID_SESSION_ID', 'Session expired or invalid');
}

function authenticate(ctx: EmulatorContext, req: IncomingMessage): Session {
  const token = tokenOf(req);
  const session = token ? ctx.tokens.check(token, ctx.faults.sessionExpiry()) : undefined;
  if (!session) throw invalidSession();
  return session;
}

function drain(req: IncomingMessage): void {
  if (!req.readableEnded) req.resume();
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw notFound();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Applies the API-request faults; returns false when the connection was dropped. */
function apiFaults(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, path: string): boolean {
  if (ctx.faults.shouldDropConnection()) {
    req.socket.destroy();
    return false;
  }
  ctx.apiRequests++;
  const limit = ctx.faults.dailyApiRequestLimit();
  res.setHeader('Sforce-Limit-Info', `api-usage=${ctx.apiRequests}/${limit ?? 15_000_000}`);
  if (limit !== undefined && ctx.apiRequests > limit) {
    throw new ApiError(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.');
  }
  const status = ctx.faults.httpError(path);
  if (status === 503) throw new ApiError(503, 'SERVER_UNAVAILABLE', 'Service temporarily unavailable');
  if (status === 502) throw new ApiError(502, 'BAD_GATEWAY', 'Bad gateway');
  if (status === 500) {
    throw new ApiError(500, 'UNKNOWN_EXCEPTION', 'An unexpected error occurred. Please try again (injected fault).');
  }
  return true;
}

/** The request listener of the emulator's HTTP server. */
export function createRequestListener(ctx: EmulatorContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    req.on('error', () => {
      /* a client that went away; nothing to answer */
    });
    res.on('error', () => {
      /* idem */
    });
    handle(ctx, req, res).catch((error: unknown) => {
      drain(req);
      try {
        sendError(res, error);
      } catch {
        res.destroy();
      }
    });
  };
}

async function handle(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // Collapse `//` before parsing: `sf` sends `//services/...`, which a URL parser reads as a host.
  const target = (req.url ?? '/').replace(/^[^?]*/, (p) => p.replace(/\/{2,}/g, '/'));
  const url = new URL(target.startsWith('/') ? target : `/${target}`, 'http://localhost');
  let path = url.pathname;
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  const query = url.searchParams;
  const method = req.method ?? 'GET';
  const latency = ctx.faults.latencyMs();
  if (latency > 0) await sleep(latency);

  // OAuth, SOAP login, identity: not counted as API requests.
  if (path === '/services/oauth2/token') {
    if (method !== 'POST') throw methodNotAllowed(method, ['POST']);
    await handleToken(ctx, req, res);
    return;
  }
  if (path === '/services/oauth2/authorize') {
    handleAuthorize(ctx, query, res);
    return;
  }
  if (path === '/services/oauth2/revoke') {
    await handleRevoke(ctx, req, query, res);
    return;
  }
  const soap = /^\/services\/Soap\/u\/(\d+\.\d)(?:\/.*)?$/.exec(path);
  if (soap) {
    if (method !== 'POST') throw methodNotAllowed(method, ['POST']);
    await handleSoap(ctx, req, res, soap[1] as string);
    return;
  }
  if (path === '/services/data') {
    handleVersions(ctx, res);
    return;
  }
  if (path === '/services/oauth2/userinfo') {
    handleUserInfo(ctx, authenticate(ctx, req), res);
    return;
  }
  const identity = /^\/id\/(\w{15,18})\/(\w{15,18})$/.exec(path);
  if (identity) {
    handleIdentity(ctx, authenticate(ctx, req), res, identity[2] as string);
    return;
  }
  const bulkV1 = /^\/services\/async\/(\d+\.\d)\/(.+)$/.exec(path);
  if (bulkV1) {
    const token = tokenOf(req);
    const v1Session = token ? ctx.tokens.check(token, ctx.faults.sessionExpiry()) : undefined;
    if (!v1Session) {
      drain(req);
      throw asyncError(400, 'InvalidSessionId', 'Invalid session id');
    }
    if (!apiFaults(ctx, req, res, path)) return;
    const segments = (bulkV1[2] as string).split('/').map(safeDecode);
    await ctx.bulkV1.handle(req, res, bulkV1[1] as string, segments, v1Session.userId);
    return;
  }
  if (path.startsWith('/_emulator/')) {
    authenticate(ctx, req);
    await handleAdmin(ctx, req, res, path.slice('/_emulator/'.length).split('/').map(safeDecode), query);
    return;
  }
  const data = /^\/services\/data\/v(\d+\.\d)(?:\/(.*))?$/.exec(path);
  if (!data) {
    drain(req);
    throw notFound();
  }
  const session = authenticate(ctx, req);
  if (!apiFaults(ctx, req, res, path)) return;
  const version = data[1] as string;
  const rest = data[2] ?? '';
  const segments = rest === '' ? [] : rest.split('/').map(safeDecode);
  const api: ApiRequest = { req, res, ctx, path, query, version, session, params: segments };
  await route(api, method, segments);
}

async function route(api: ApiRequest, method: string, s: string[]): Promise<void> {
  const [head, a, b, c, d] = s;
  const n = s.length;
  switch (head) {
    case undefined:
      if (method !== 'GET') throw methodNotAllowed(method, ['GET', 'HEAD']);
      handleResources(api);
      return;
    case 'sobjects':
      return routeSobjects(api, method, s);
    case 'query':
    case 'queryAll':
      if (method !== 'GET') throw methodNotAllowed(method, ['GET', 'HEAD']);
      if (n === 1) return handleQuery(api, head);
      if (n === 2) return handleQueryMore(api, head, a as string);
      throw notFound();
    case 'search':
      if (n !== 1) throw notFound();
      if (method !== 'GET') throw methodNotAllowed(method, ['GET', 'HEAD']);
      return handleSearch(api);
    case 'recent':
    case 'tabs':
    case 'theme':
      if (n !== 1) throw notFound();
      if (method !== 'GET') throw methodNotAllowed(method, ['GET', 'HEAD']);
      if (head === 'recent') return handleRecent(api);
      return head === 'tabs' ? handleTabs(api) : handleTheme(api);
    case 'limits':
      if (n !== 1) throw notFound();
      if (method !== 'GET') throw methodNotAllowed(method, ['GET', 'HEAD']);
      return handleLimits(api);
    case 'composite':
      if (n === 1) {
        if (method !== 'POST') throw methodNotAllowed(method, ['POST']);
        return handleComposite(api, dispatch);
      }
      if (a === 'batch' && n === 2) {
        if (method !== 'POST') throw methodNotAllowed(method, ['POST']);
        return handleCompositeBatch(api, dispatch);
      }
      if (a === 'tree' && n === 3) {
        if (method !== 'POST') throw methodNotAllowed(method, ['POST']);
        return handleCompositeTree(api, b as string);
      }
      if (a !== 'sobjects') throw notFound();
      if (n === 2) {
        if (method === 'POST') return handleCollectionSave(api, 'insert');
        if (method === 'PATCH') return handleCollectionSave(api, 'update');
        if (method === 'DELETE') return handleCollectionDelete(api);
        throw methodNotAllowed(method, ['POST', 'PATCH', 'DELETE']);
      }
      if (n === 3) {
        if (method === 'POST' || method === 'GET') return handleCollectionRetrieve(api, b as string);
        throw methodNotAllowed(method, ['GET', 'POST']);
      }
      if (n === 4) {
        if (method === 'PATCH') return handleCollectionUpsert(api, b as string, c as string);
        throw methodNotAllowed(method, ['PATCH']);
      }
      throw notFound();
    case 'tooling':
      if (a === 'query' && n === 2 && method === 'GET') return handleToolingQuery(api);
      if (a === 'sobjects' && n === 2 && method === 'GET') {
        sendJson(api.res, 200, { encoding: 'UTF-8', maxBatchSize: 200, sobjects: [] });
        return;
      }
      throw notFound();
    case 'jobs':
      if (a === 'ingest') return api.ctx.ingest.route(api, method, b, c, n);
      if (a === 'query') return api.ctx.queryJobs.route(api, method, b, c, n);
      throw notFound();
    default:
      void d;
      throw notFound();
  }
}

/** Runs a composite subrequest through the same routes as an HTTP request. */
const dispatch: Dispatch = (api, method) => route(api, method, api.params);

async function routeSobjects(api: ApiRequest, method: string, s: string[]): Promise<void> {
  const [, type, second, third, fourth] = s;
  const n = s.length;
  if (n === 1) {
    if (method !== 'GET') throw methodNotAllowed(method, ['GET', 'HEAD']);
    return handleDescribeGlobal(api);
  }
  const objectName = type as string;
  if (n === 2) {
    if (method === 'GET') return handleObjectInfo(api, objectName);
    if (method === 'POST') return handleCreate(api, objectName);
    throw methodNotAllowed(method, ['GET', 'HEAD', 'POST']);
  }
  if (n === 3 && (second === 'updated' || second === 'deleted')) {
    if (method !== 'GET') throw methodNotAllowed(method, ['GET', 'HEAD']);
    return second === 'updated' ? handleGetUpdated(api, objectName) : handleGetDeleted(api, objectName);
  }
  if (n === 3 && second === 'describe') {
    if (method !== 'GET') throw methodNotAllowed(method, ['GET', 'HEAD']);
    return handleDescribe(api, objectName);
  }
  // `describe/...` before `{field}/{value}`: an upsert by an external id field named "describe" cannot exist.
  if (second === 'describe' && n >= 4) {
    if (method !== 'GET') throw methodNotAllowed(method, ['GET', 'HEAD']);
    if (third === 'layouts' && n <= 5) {
      return n === 4 ? handleLayouts(api, objectName) : handleRecordTypeLayout(api, objectName, fourth as string);
    }
    if (third === 'namedLayouts' && n === 5) return handleNamedLayout(api, objectName, fourth as string);
    if (third === 'compactLayouts' && n === 4) return handleCompactLayouts(api, objectName);
    if (third === 'approvalLayouts' && n === 4) return handleApprovalLayouts(api, objectName);
    throw notFound();
  }
  // `listviews/...` likewise: list views (before `{field}/{value}` and `{id}`).
  if (second === 'listviews' && n <= 5) {
    if (method !== 'GET') throw methodNotAllowed(method, ['GET', 'HEAD']);
    if (n === 3) return handleListViews(api, objectName);
    if (n === 4) return handleListView(api, objectName, third as string);
    if (fourth === 'describe') return handleListViewDescribe(api, objectName, third as string);
    if (fourth === 'results') return handleListViewResults(api, objectName, third as string);
    throw notFound();
  }
  if (n === 3) {
    const id = second as string;
    if (method === 'GET') return handleRetrieve(api, objectName, id);
    if (method === 'PATCH') return handleUpdate(api, objectName, id);
    if (method === 'DELETE') return handleDelete(api, objectName, id);
    throw methodNotAllowed(method, ['GET', 'HEAD', 'PATCH', 'DELETE']);
  }
  if (n === 4) {
    const field = second as string;
    const value = third as string;
    if (method === 'GET') return handleRetrieveByExternalId(api, objectName, field, value);
    if (method === 'PATCH') return handleUpsert(api, objectName, field, value);
    if (method === 'DELETE') return handleDeleteByExternalId(api, objectName, field, value);
    throw methodNotAllowed(method, ['GET', 'HEAD', 'PATCH', 'DELETE']);
  }
  throw notFound();
}
