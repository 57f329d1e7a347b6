import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { ApiRequest, EmulatorContext } from '../server/context.js';
import { ApiError, JSON_TYPE, sendEmpty, sendJson } from '../server/http.js';
import { requireObject } from './sobject-access.js';

const RELEASES: Record<number, string> = {
  55: "Summer '22",
  56: "Winter '23",
  57: "Spring '23",
  58: "Summer '23",
  59: "Winter '24",
  60: "Spring '24",
  61: "Summer '24",
  62: "Winter '25",
  63: "Spring '25",
  64: "Summer '25",
  65: "Winter '26",
  66: "Spring '26",
};

/** `GET /services/data`: versions up to the emulator's API version. */
export function handleVersions(ctx: EmulatorContext, res: ServerResponse): void {
  const max = Math.floor(Number(ctx.apiVersion));
  const versions = [];
  for (let major = 31; major <= max; major++) {
    versions.push({
      label: RELEASES[major] ?? `API ${major}`,
      url: `/services/data/v${major}.0`,
      version: `${major}.0`,
    });
  }
  sendJson(res, 200, versions);
}

/** `GET /services/data/vXX.X`. */
export function handleResources(api: ApiRequest): void {
  const base = `/services/data/v${api.version}`;
  const names = [
    'tooling',
    'metadata',
    'eclair',
    'folders',
    'prechatForms',
    'contact-tracing',
    'jsonxform',
    'chatter',
    'tabs',
    'appMenu',
    'quickActions',
    'queryAll',
    'commerce',
    'wave',
    'iot',
    'analytics',
    'search',
    'smartdatadiscovery',
    'identity',
    'composite',
    'parameterizedSearch',
    'fingerprint',
    'theme',
    'nouns',
    'domino',
    'event',
    'serviceTemplates',
    'recent',
    'connect',
    'licensing',
    'limits',
    'process',
    'async-queries',
    'query',
    'match',
    'emailConnect',
    'compactLayouts',
    'knowledgeManagement',
    'sobjects',
    'actions',
    'support',
    'jobs',
  ];
  const body: Record<string, string> = {};
  for (const name of names) body[name] = `${base}/${name}`;
  body.identity = `${api.ctx.baseUrl}/id/${api.ctx.org.orgId}/${api.session.userId}`;
  sendJson(api.res, 200, body);
}

/** `GET limits`. */
export function handleLimits(api: ApiRequest): void {
  const limit = api.ctx.faults.dailyApiRequestLimit() ?? 15_000_000;
  const used = Math.min(limit, api.ctx.apiRequests);
  const pair = (max: number, remaining = max) => ({ Max: max, Remaining: remaining });
  sendJson(api.res, 200, {
    ActiveScratchOrgs: pair(3),
    AnalyticsExternalDataSizeMB: pair(40960),
    ConcurrentAsyncGetReportInstances: pair(200),
    ConcurrentSyncReportRuns: pair(20),
    DailyAnalyticsDataflowJobExecutions: pair(60),
    DailyApiRequests: pair(limit, limit - used),
    DailyAsyncApexExecutions: pair(250000),
    DailyBulkApiBatches: pair(15000, 15000 - Math.min(15000, api.ctx.ingest.batchesToday())),
    DailyBulkV2QueryFileStorageMB: pair(976562),
    DailyBulkV2QueryJobs: pair(10000, 10000 - Math.min(10000, api.ctx.queryJobs.count())),
    DailyScratchOrgs: pair(6),
    DataStorageMB: pair(5),
    FileStorageMB: pair(20),
    HourlyODataCallout: pair(10000),
    HourlyTimeBasedWorkflow: pair(50),
    MassEmail: pair(10),
    SingleEmail: pair(15),
  });
}

/**
 * Sends a describe body with `Last-Modified` (when the schema last changed, on the org clock) and an `ETag` (a hash
 * of the body), answering 304 to a matching `If-None-Match` or a current `If-Modified-Since`, as Salesforce does.
 */
function sendDescribe(api: ApiRequest, body: unknown, lastModified: Date): void {
  const text = JSON.stringify(body);
  const etag = `"${createHash('sha1').update(text).digest('hex').slice(0, 20)}"`;
  const headers = { ETag: etag, 'Last-Modified': lastModified.toUTCString() };
  const ifNoneMatch = api.req.headers['if-none-match'];
  const ifModifiedSince = api.req.headers['if-modified-since'];
  const since = typeof ifModifiedSince === 'string' ? Date.parse(ifModifiedSince) : Number.NaN;
  const unchanged =
    typeof ifNoneMatch === 'string'
      ? ifNoneMatch.split(',').some((tag) => tag.trim() === etag)
      : Number.isFinite(since) && Math.floor(lastModified.getTime() / 1000) * 1000 <= since;
  if (unchanged) {
    sendEmpty(api.res, 304, headers);
    return;
  }
  api.res.writeHead(200, { 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(text), ...headers });
  api.res.end(text);
}

/** `GET sobjects`. */
export function handleDescribeGlobal(api: ApiRequest): void {
  sendDescribe(api, api.ctx.org.describeGlobal(), api.ctx.org.describeLastModified());
}

/** `GET sobjects/{T}/describe`. */
export function handleDescribe(api: ApiRequest, objectName: string): void {
  requireObject(api.ctx.org, objectName);
  sendDescribe(api, api.ctx.org.describe(objectName), api.ctx.org.describeLastModified(objectName));
}

/**
 * `GET tooling/query?q=`: the emulator has no tooling objects beyond what the org defines; queries on
 * unknown tooling types get INVALID_TYPE (what `sf` tolerates for SandboxProcess).
 */
export function handleToolingQuery(api: ApiRequest): void {
  const soql = api.query.get('q');
  if (!soql) throw new ApiError(400, 'MALFORMED_QUERY', 'A query string has to be specified');
  const result = api.ctx.org.query(soql);
  sendJson(api.res, 200, {
    size: result.totalSize,
    totalSize: result.totalSize,
    done: true,
    queryLocator: null,
    entityTypeName: null,
    records: result.records,
  });
}
