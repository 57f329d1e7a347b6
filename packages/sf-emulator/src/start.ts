import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { TokenStore } from './auth/tokens.js';
import { IngestJobStore, type IngestServerModel } from './bulk/ingest.js';
import { QueryJobStore } from './bulk/query.js';
import { BulkV1Store } from './bulk/v1.js';
import type { FaultSettings, ObjectDefinition } from './contract.js';
import { FaultController, type Faults } from './faults.js';
import type { ClockInput, OrgClock } from './org/clock.js';
import type { GenerateSpec } from './org/generate.js';
import { createOrg, type EmulatedOrg, type LocalOrg } from './org/index.js';
import { loadState, saveState } from './persist.js';
import { QueryCursors } from './rest/query.js';
import { createRequestListener } from './server/app.js';
import type { EmulatorContext, ServerSettings } from './server/context.js';

/** Options of {@link startSalesforceEmulator}. */
export interface EmulatorOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind. Default `127.0.0.1`. */
  host?: string;
  /** Newest API version served (paths accept any `vXX.X`). Default `62.0`. */
  apiVersion?: string;
  /** Custom objects (or standard ones extended). See docs/org.md. */
  objects?: ObjectDefinition[];
  /** Adds Integration__c, IntegrationExecution__c and IntegrationError__c. */
  integrationObjects?: boolean;
  /** An SFDX project folder whose source-format object metadata defines objects. */
  sfdxProject?: string;
  /** Records to seed, by object name (parents before children). */
  seed?: Record<string, Array<Record<string, unknown>>>;
  /** Fault injection settings (changeable later through `faults.set()`). */
  faults?: FaultSettings;
  /** Order of Bulk ingest results: a seeded shuffle (default, like Salesforce's parallel batches) or input order. */
  resultOrder?: 'shuffle' | 'input';
  /**
   * Rows of a Bulk API 2.0 query results page when the client sends no `maxRecords`. Default: pages of about 100 MB
   * of CSV (sized from the job's first rows), large like Salesforce's.
   */
  queryPageSize?: number;
  /** A JSON file: the org is loaded from it at start (when it exists) and saved to it at stop. */
  persistPath?: string;
  /** Username of the admin user (password and SOAP login, JWT `sub`). Default `admin@kicksaw.local`. */
  username?: string;
  /** Password of the admin user. Default `password`. */
  password?: string;
  /** When set, OAuth requests must send this client id (JWT: `iss`). */
  clientId?: string;
  /** When set, OAuth requests that send a client secret must send this one (client_credentials requires it). */
  clientSecret?: string;
  /** PEM certificate (or public key) that verifies JWT bearer assertions (RS256). */
  jwtCertificate?: string;
  /** Seed of result shuffling. Default 1. */
  seedRandom?: number;
  /** Upload limit of one Bulk ingest job in bytes. Default 150 MB (157,286,400). */
  maxUploadBytes?: number;
  /**
   * Fixes the org's clock at this instant (a `Date` or an ISO 8601 string such as `2024-01-01T00:00:00Z`);
   * absent, it runs in real time. Move it later with `emulator.clock` or `POST /_emulator/clock`.
   */
  clock?: ClockInput;
  /** Days a deleted record stays in the recycle bin and the delete log, on the org's clock. Default 15. */
  recycleBinRetentionDays?: number;
  /** Most ids one replication call (`sobjects/{T}/updated|deleted`) answers before EXCEEDED_ID_LIMIT. Default 600,000. */
  replicationIdLimit?: number;
  /**
   * Records to generate at start, by object (after `seed`, parents first): a count, or a count with a
   * {@link GenerateSpec}. Like `seed`, skipped when the org is loaded from `persistPath`. See `org.generate()`.
   */
  generate?: Record<string, number | ({ count: number } & GenerateSpec)>;
  /**
   * A server model for Bulk API 2.0 ingest: each internal 10,000-row batch takes a time drawn from `batchMs` (a
   * number or `{ min, max }`, milliseconds, seeded by `seedRandom`) before its rows are applied, with at most
   * `concurrency` batches (default 10) of the whole org in process at once, as Salesforce runs an org's batches on
   * a pool of workers. Absent, batches are applied as fast as the process allows, one at a time.
   */
  serverModel?: IngestServerModel;
  /**
   * Serve HTTPS with this key and certificate (PEM) instead of plain HTTP, as Salesforce does: the instance,
   * login and identity URLs then start with `https://`. Clients must trust the certificate (for Node,
   * `NODE_EXTRA_CA_CERTS=cert.pem`, or the `ca` of an agent). Default: plain HTTP.
   */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

/** A running emulator. */
export interface SalesforceEmulator {
  /** `http://127.0.0.1:PORT` (`https://` with `tls`): the instance URL for clients. */
  instanceUrl: string;
  /** The login URL (the same server): OAuth token endpoint and SOAP login live here. */
  loginUrl: string;
  /** A valid access token of the admin user (`00D...!...`). */
  accessToken: string;
  /** A refresh token of the admin user (for the `refresh_token` grant). */
  refreshToken: string;
  orgId: string;
  userId: string;
  /** Username and password accepted by the password and SOAP logins. */
  username: string;
  password: string;
  apiVersion: string;
  /** The in-memory org: read and seed records directly, change its schema, generate records. */
  org: EmulatedOrg;
  /**
   * The org's controllable clock (the same object as `org.clock`): `now()`, `set(date)`, `advance(ms)`,
   * `useRealTime()`. Every timestamp the org writes comes from it.
   */
  clock: OrgClock;
  /** Fault settings, changeable while running. */
  faults: Faults;
  /**
   * Bulk API 2.0 ingest figures: internal batches processed, and the most batches the server model had in
   * process at once (0 without `serverModel`).
   */
  bulkStats(): { internalBatches: number; peakConcurrentBatches: number };
  /** Stops the server (and saves the org when `persistPath` is set). */
  stop(): Promise<void>;
}

/**
 * Starts a local Salesforce org over HTTP: OAuth and SOAP login, REST (sObjects, collections, query,
 * describe, limits) and Bulk API 2.0 (ingest and query), with validation and fault injection.
 *
 * @example
 * ```ts
 * import { startSalesforceEmulator } from '@kicksaw/sf-emulator';
 * import { Connection } from 'jsforce';
 *
 * const sf = await startSalesforceEmulator({ integrationObjects: true });
 * const conn = new Connection({ instanceUrl: sf.instanceUrl, accessToken: sf.accessToken, version: sf.apiVersion });
 * await conn.sobject('Account').create({ Name: 'Acme' });
 * console.log(sf.org.records('Account').length); // 1
 * await sf.stop();
 * ```
 */
export async function startSalesforceEmulator(options: EmulatorOptions = {}): Promise<SalesforceEmulator> {
  const apiVersion = options.apiVersion ?? '62.0';
  const settings = settingsOf(options);
  const { username, password } = settings;
  const persisted = options.persistPath ? await loadState(options.persistPath) : undefined;
  const org = orgOf(options, persisted, apiVersion, username);
  const faults = new FaultController(options.faults);
  const tokens = new TokenStore(org.orgId);
  if (persisted?.tokens) tokens.load(persisted.tokens);
  const ctx = contextOf(options, org, faults, tokens, settings, apiVersion);
  const server = await listen(ctx, options);
  const session = tokens.firstOf(org.userId) ?? tokens.issue(org.userId, 'kicksaw-emulator');
  const refreshToken =
    tokens.firstRefreshTokenOf(org.userId) ?? tokens.issueRefreshToken(org.userId, 'kicksaw-emulator');
  let stopped = false;
  return {
    instanceUrl: ctx.baseUrl,
    loginUrl: ctx.baseUrl,
    accessToken: session.token,
    refreshToken,
    orgId: org.orgId,
    userId: org.userId,
    username,
    password,
    apiVersion,
    org,
    clock: org.clock,
    faults,
    bulkStats: () => ({
      internalBatches: ctx.ingest.batchesToday(),
      peakConcurrentBatches: ctx.ingest.modelPeakConcurrency(),
    }),
    async stop() {
      if (stopped) return;
      stopped = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await ctx.ingest.idle();
      if (options.persistPath) await saveState(options.persistPath, org as LocalOrg, tokens.toJSON());
    },
  };
}

/** The org of a start: made from the options, or from the state file when there is one (then nothing is generated). */
function orgOf(
  options: EmulatorOptions,
  persisted: Awaited<ReturnType<typeof loadState>>,
  apiVersion: string,
  username: string,
): EmulatedOrg {
  const org = createOrg({
    objects: options.objects,
    integrationObjects: options.integrationObjects,
    sfdxProject: options.sfdxProject,
    seed: persisted ? undefined : options.seed,
    fromJSON: persisted?.org,
    apiVersion,
    username,
    ...(options.clock !== undefined ? { clock: options.clock } : {}),
    ...(options.recycleBinRetentionDays !== undefined
      ? { recycleBinRetentionDays: options.recycleBinRetentionDays }
      : {}),
    ...(options.replicationIdLimit !== undefined ? { replicationIdLimit: options.replicationIdLimit } : {}),
  });
  if (persisted) return org;
  for (const [objectName, what] of Object.entries(options.generate ?? {})) {
    if (typeof what === 'number') org.generate(objectName, what);
    else {
      const { count, ...spec } = what;
      org.generate(objectName, count, spec);
    }
  }
  return org;
}

/** The HTTP layer's settings: the options with their defaults. */
function settingsOf(options: EmulatorOptions): ServerSettings {
  return {
    username: options.username ?? 'admin@kicksaw.local',
    password: options.password ?? 'password',
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    jwtCertificate: options.jwtCertificate,
    resultOrder: options.resultOrder ?? 'shuffle',
    queryPageSize: options.queryPageSize,
    seed: options.seedRandom ?? 1,
    maxUploadBytes: options.maxUploadBytes ?? 150 * 1024 * 1024,
  };
}

/** The state the request handlers share (its `baseUrl` is set once the server listens). */
function contextOf(
  options: EmulatorOptions,
  org: EmulatedOrg,
  faults: FaultController,
  tokens: TokenStore,
  settings: ServerSettings,
  apiVersion: string,
): EmulatorContext {
  const ctx: EmulatorContext = {
    org,
    faults,
    tokens,
    settings,
    baseUrl: '',
    apiVersion,
    ingest: undefined as unknown as IngestJobStore,
    queryJobs: new QueryJobStore(),
    cursors: new QueryCursors(),
    bulkV1: undefined as unknown as BulkV1Store,
    apiRequests: 0,
  };
  ctx.bulkV1 = new BulkV1Store(() => ctx);
  ctx.ingest = new IngestJobStore(() => ctx, options.serverModel, settings.seed);
  return ctx;
}

/** Starts the HTTP (or HTTPS) server on the options' host and port and sets `ctx.baseUrl`. */
async function listen(ctx: EmulatorContext, options: EmulatorOptions): Promise<Server> {
  // Idle connections are kept 65 s, longer than clients keep theirs (Node's agents drop theirs sooner), so a
  // client never reuses a socket the org has just closed; Node's own default of 5 s made a client that paused
  // between calls (jsforce's bulk2 session-refresh test) send its next request on a dead socket.
  const serverOptions = { keepAliveTimeout: 65_000, requestTimeout: 0 };
  const server: Server = options.tls
    ? createHttpsServer({ ...serverOptions, key: options.tls.key, cert: options.tls.cert }, createRequestListener(ctx))
    : createServer(serverOptions, createRequestListener(ctx));
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  ctx.baseUrl = `${options.tls ? 'https' : 'http'}://${urlHost}:${address.port}`;
  return server;
}
