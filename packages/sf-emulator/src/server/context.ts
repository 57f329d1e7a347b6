import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Session, TokenStore } from '../auth/tokens.js';
import type { IngestJobStore } from '../bulk/ingest.js';
import type { QueryJobStore } from '../bulk/query.js';
import type { BulkV1Store } from '../bulk/v1.js';
import type { FaultController } from '../faults.js';
import type { EmulatedOrg } from '../org/emulated-org.js';
import type { QueryCursors } from '../rest/query.js';
import type { RecentlyViewed } from '../rest/ui.js';

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
  ingest: IngestJobStore;
  queryJobs: QueryJobStore;
  cursors: QueryCursors;
  /** Bulk API 1.0 jobs. */
  bulkV1: BulkV1Store;
  /** API requests counted against the daily limit. */
  apiRequests: number;
  /** Recently viewed records per user (`recent`, `sobjects/{T}` recentItems); made on first use. */
  recent?: RecentlyViewed;
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
