import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Session, TokenStore } from '../auth/tokens.js';
import type { QueryResult } from '../contract.js';
import type { FaultController } from '../faults.js';
import type { EmulatedOrg } from '../org/emulated-org.js';

/** Options of the HTTP layer after defaults. */
export interface ServerSettings {
  username: string;
  password: string;
  /** When set, OAuth requests must carry this client id. */
  clientId?: string;
  /** When set, OAuth requests that send a client secret must send this one. */
  clientSecret?: string;
  /** PEM certificate or public key that verifies JWT bearer assertions. */
  jwtCertificate?: string;
  resultOrder: 'shuffle' | 'input';
  /** Rows of a Bulk query results page without `maxRecords`; undefined: pages of about 100 MB of CSV. */
  queryPageSize: number | undefined;
  /** Seed of result shuffling. */
  seed: number;
  /** Upload limit of one ingest job, in bytes (150 MB like Salesforce). */
  maxUploadBytes: number;
}

/** The state the request handlers share. */
export interface EmulatorContext {
  org: EmulatedOrg;
  faults: FaultController;
  tokens: TokenStore;
  settings: ServerSettings;
  /** `http://127.0.0.1:PORT` once listening. */
  baseUrl: string;
  apiVersion: string;
  ingest: IngestJobs;
  queryJobs: QueryJobs;
  cursors: QueryCursorStore;
  /** Bulk API 1.0 jobs. */
  bulkV1: BulkV1Jobs;
  /** API requests counted against the daily limit. */
  apiRequests: number;
}

/** A route of Bulk API 2.0 jobs: `jobs/{kind}[/{id}[/{sub}]]`, `n` the path's segments from `jobs`. */
export type JobRoute = (
  api: ApiRequest,
  method: string,
  id: string | undefined,
  sub: string | undefined,
  n: number,
) => Promise<void>;

/**
 * Bulk API 2.0 ingest jobs as the routes and the start-up use them (`IngestJobStore` of bulk/ingest.ts). The stores
 * are contracts here, not their classes: the classes' modules use this context, and it does not import them back.
 */
export interface IngestJobs {
  route: JobRoute;
  /** Internal batches processed (the org's daily figure). */
  batchesToday(): number;
  /** The most internal batches the server model had in process at once (0 without a model). */
  modelPeakConcurrency(): number;
  /** Resolves when every job being processed has finished. */
  idle(): Promise<void>;
}

/** Bulk API 2.0 query jobs (`QueryJobStore` of bulk/query.ts). */
export interface QueryJobs {
  route: JobRoute;
  /** Query jobs created (the org's daily figure). */
  count(): number;
}

/** Bulk API 1.0 under `/services/async/{version}/...` (`BulkV1Store` of bulk/v1.ts). */
export interface BulkV1Jobs {
  handle(req: IncomingMessage, res: ServerResponse, version: string, segments: string[], userId: string): Promise<void>;
}

/** An open REST query cursor (`queryMore`). */
export interface QueryCursor {
  records: Array<Record<string, unknown>>;
  totalSize: number;
  pageSize: number;
  touched: number;
}

/** The open REST query cursors (`QueryCursors` of rest/query.ts). */
export interface QueryCursorStore {
  open(result: QueryResult, pageSize: number): string;
  get(id: string): QueryCursor | undefined;
  close(id: string): void;
}

/** One authenticated API request. */
export interface ApiRequest {
  req: IncomingMessage;
  res: ServerResponse;
  ctx: EmulatorContext;
  /** Normalized path (`//` collapsed, no trailing slash). */
  path: string;
  query: URLSearchParams;
  /** `62.0` */
  version: string;
  session: Session;
  /** Captures of the route pattern. */
  params: string[];
}
