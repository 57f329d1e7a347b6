// startSnowflakeEmulator: the settings with their defaults, the parts (DuckDB, stages, sessions, queries),
// the routing of the driver's requests to them, and the running server's handle. The protocol itself lives in
// server/ (sessions.ts, queries.ts), the statements in statements/.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CopyInto } from './copy-into.js';
import { Engine } from './engine.js';
import { SnowflakeEmulatorError } from './errors.js';
import { FaultController, type FaultSettings, type Faults } from './faults.js';
import { userKeys } from './jwt.js';
import { failure, readBody, sendJson, success } from './server/http.js';
import { Queries, type QueryRecord } from './server/queries.js';
import { fold, type LoginSettings, Sessions } from './server/sessions.js';
import { Stages } from './stages.js';
import type { Runtime } from './statements/outcome.js';
import { TableLocks } from './transactions.js';

export type { QueryRecord } from './server/queries.js';

/** Options of {@link startSnowflakeEmulator}. */
export interface SnowflakeEmulatorOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind. Default `127.0.0.1`. */
  host?: string;
  /** Account name reported to the driver (any account name logs in). Default `kicksaw`. */
  account?: string;
  /** User accepted by the password login (case-insensitive, as Snowflake's login names). Default `kicksaw`. */
  username?: string;
  /** Password of that user. Default `password`. */
  password?: string;
  /**
   * The user's RSA public key(s), PEM, for key-pair login (`authenticator: 'SNOWFLAKE_JWT'` with the private
   * key): Snowflake's `RSA_PUBLIC_KEY` (and `RSA_PUBLIC_KEY_2`, for rotation). Without one, key-pair logins
   * fail as with a wrong key.
   */
  publicKey?: string | readonly string[];
  /** The emulator's clock for login checks (JWT `exp` / `iat`), in epoch milliseconds. Default `Date.now`. */
  now?: () => number;
  /** Database created at start and used by sessions that name none. Default `KICKSAW`. */
  database?: string;
  /** Schema used by sessions that name none. Default `PUBLIC`. */
  schema?: string;
  /** Warehouse reported to sessions that name none (warehouses are accepted and ignored). Default `COMPUTE_WH`. */
  warehouse?: string;
  /** Role reported. Default `ACCOUNTADMIN`. */
  role?: string;
  /**
   * A DuckDB file that holds `database` across restarts; databases created later are kept beside it
   * (`<file>.<NAME>.duckdb`) and stages in `<file>.stages/`. In memory (and a temporary folder) when absent.
   */
  persistPath?: string;
  /** Seconds a session token lives before the driver must renew it. Default 3600. */
  sessionValiditySeconds?: number;
  /** Seconds a master token lives (renewal fails after it: the session is gone). Default 14400. */
  masterValiditySeconds?: number;
  /** `CLIENT_STAGE_ARRAY_BINDING_THRESHOLD` sent to the driver at login. Default 100000 (Snowflake's). */
  arrayBindingThreshold?: number;
  /** Rows answered inline in the first reply; more rows go to chunks. Default 10000. */
  inlineRows?: number;
  /**
   * Rows per result chunk. Default 20000: the driver parses a whole chunk at once and keeps `resultPrefetch` more
   * in memory, so smaller chunks keep its heap small (1,000,000 rows x 10 columns streamed: 661 MB peak RSS and
   * 20.2 CPU s with 20000, 1,292 MB and 23.0 CPU s with 100000; bench/snowflake-emulator.bench.mjs).
   */
  chunkRows?: number;
  /** How long a synchronous query may run before the reply says "still running" (333333) and the driver polls. Default 45000 ms. */
  syncWaitMs?: number;
  /** DuckDB memory limit, e.g. `'1GB'`. */
  memoryLimit?: string;
  /** DuckDB threads. */
  threads?: number;
  /** Fault injection (changeable later through `faults.set()`). */
  faults?: FaultSettings;
}

/** A running local Snowflake. */
export interface SnowflakeEmulator {
  /** `http://127.0.0.1:PORT`: pass it as `accessUrl` to `snowflake.createConnection`. */
  accessUrl: string;
  /** Host and port separately (for `connections.toml`). */
  host: string;
  port: number;
  account: string;
  username: string;
  password: string;
  database: string;
  schema: string;
  warehouse: string;
  role: string;
  /** Fault settings, changeable while running. */
  faults: Faults;
  /** The queries run so far (newest last, up to 10,000). */
  queries(): QueryRecord[];
  /** Marks every session token as expired: the driver's next request runs its token renewal. */
  expireSessionTokens(): void;
  /** Ends every session (master tokens too): the driver's next request fails with "session gone". */
  expireSessions(): void;
  /** Stops the server, closes DuckDB (the persist file is checkpointed) and removes temporary files. */
  stop(): Promise<void>;
}

/**
 * Starts a local Snowflake over HTTP, backed by DuckDB, for the unmodified `snowflake-sdk`: password
 * login, token renewal, queries with binds, chunked results, async queries, stages (PUT/GET with
 * `LOCAL_FS`), COPY INTO and fault injection.
 *
 * @example
 * ```ts
 * import snowflake from 'snowflake-sdk';
 * import { startSnowflakeEmulator } from '@kicksaw/snowflake-emulator';
 *
 * const sf = await startSnowflakeEmulator();
 * const connection = snowflake.createConnection({
 *   accessUrl: sf.accessUrl, account: sf.account, username: sf.username, password: sf.password,
 *   database: sf.database, schema: sf.schema, warehouse: sf.warehouse,
 * });
 * await connection.connectAsync(() => {});
 * connection.execute({ sqlText: 'SELECT 1 AS ONE', complete: (err, _stmt, rows) => console.log(rows) }); // [{ ONE: 1 }]
 * await sf.stop();
 * ```
 */
export async function startSnowflakeEmulator(options: SnowflakeEmulatorOptions = {}): Promise<SnowflakeEmulator> {
  const settings = loginSettings(options);
  const account = options.account ?? 'kicksaw';
  const { work, stageRoot, engine } = await openStorage(options, settings.database);
  let baseUrl = '';
  const stages = new Stages(stageRoot, () => ({ base: `${baseUrl}/__stage` }));
  const runtime: Runtime = {
    engine,
    stages,
    account,
    region: 'local',
    version: '9.0.0',
    inlineRows: options.inlineRows ?? 10000,
    chunkRows: options.chunkRows ?? 20000,
    resultsDir: join(work, 'results'),
    locks: new TableLocks(),
  };
  stages.copyRunner = new CopyInto(stages, runtime);
  const faults = new FaultController(options.faults);
  const sessions: Sessions = new Sessions(settings, engine, runtime, (session) => queries.dropResults(session));
  const queries = new Queries(runtime, sessions, faults, options.syncWaitMs ?? 45000, () => baseUrl);
  const server = createEmulatorServer({ sessions, queries, stages, faults });
  const host = options.host ?? '127.0.0.1';
  const port = await listen(server, host, options.port ?? 0);
  baseUrl = `http://${host}:${port}`;
  let stopped = false;
  return {
    accessUrl: baseUrl,
    host,
    port,
    account,
    username: settings.username,
    password: settings.password,
    database: settings.database,
    schema: settings.schema,
    warehouse: settings.warehouse,
    role: settings.role,
    faults,
    queries: () => queries.records(),
    expireSessionTokens: () => {
      for (const session of sessions.all()) session.tokenExpiresAt = 0;
    },
    expireSessions: () => {
      for (const session of sessions.all()) void sessions.close(session);
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of sessions.all()) await sessions.close(session);
      await engine.close();
      await rm(work, { recursive: true, force: true });
    },
  };
}

/** The emulator's temporary work folder, its stage folder and its DuckDB engine (folders made first). */
async function openStorage(
  options: SnowflakeEmulatorOptions,
  database: string,
): Promise<{ work: string; stageRoot: string; engine: Engine }> {
  const work = await mkdtemp(join(tmpdir(), 'kicksaw-snowflake-'));
  const stageRoot = options.persistPath ? `${options.persistPath}.stages` : join(work, 'stages');
  await mkdir(stageRoot, { recursive: true });
  if (options.persistPath) await mkdir(dirname(options.persistPath), { recursive: true });
  const engine = await Engine.open({
    database,
    persistPath: options.persistPath,
    memoryLimit: options.memoryLimit,
    threads: options.threads,
    tempDirectory: join(work, 'duckdb-tmp'),
  });
  return { work, stageRoot, engine };
}

/** The HTTP server: every request routed; an unexpected failure answered 500, or the socket closed once headers went. */
function createEmulatorServer(context: Parameters<typeof route>[0]): Server {
  const server: Server = createServer((http, response) => {
    route(context, http, response).catch((error: unknown) => {
      if (!response.headersSent)
        sendJson(
          http,
          response,
          500,
          failure('000603', `internal error of the local Snowflake: ${(error as Error).message}`),
        );
      else response.destroy();
    });
  });
  server.keepAliveTimeout = 60_000;
  return server;
}

/** The options' login settings, with their defaults. */
function loginSettings(options: SnowflakeEmulatorOptions): LoginSettings {
  return {
    username: options.username ?? 'kicksaw',
    password: options.password ?? 'password',
    keys: userKeys(options.publicKey),
    clock: options.now ?? Date.now,
    database: fold(options.database ?? 'KICKSAW'),
    schema: fold(options.schema ?? 'PUBLIC'),
    warehouse: options.warehouse ?? 'COMPUTE_WH',
    role: options.role ?? 'ACCOUNTADMIN',
    sessionValidity: options.sessionValiditySeconds ?? 3600,
    masterValidity: options.masterValiditySeconds ?? 14400,
    threshold: options.arrayBindingThreshold ?? 100000,
  };
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', (error) =>
      reject(
        new SnowflakeEmulatorError(`could not listen on ${host}:${port}: ${error.message}`, {
          code: 'LISTEN_FAILED',
          cause: error,
        }),
      ),
    );
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

/** What the routes hand requests to. */
interface Parts {
  sessions: Sessions;
  queries: Queries;
  stages: Stages;
  faults: FaultController;
}

/**
 * Routes one request of the driver: injected faults first, then the endpoints that need no session (login,
 * telemetry, result chunks, stage uploads, token renewal), then the session's own.
 */
async function route(parts: Parts, http: IncomingMessage, response: ServerResponse): Promise<void> {
  const { sessions, queries, faults } = parts;
  const url = new URL(http.url ?? '/', 'http://localhost');
  const path = url.pathname;
  if (await injectFault(faults, http, response, path)) return;
  const method = http.method ?? 'GET';
  if (method === 'POST' && path === '/session/v1/login-request') return sessions.login(http, response, url);
  if (method === 'POST' && path === '/telemetry/send') {
    await readBody(http);
    return sendJson(http, response, 200, success('Log Received'));
  }
  if (method === 'GET' && path.startsWith('/__chunks/')) {
    const [, , queryId, index] = path.split('/');
    return queries.chunk(response, queryId ?? '', Number(index));
  }
  if (path.startsWith('/__stage/')) return stageUpload(parts.stages, http, response, method, path);
  if (method === 'POST' && path === '/session/token-request') return sessions.renew(http, response);
  const session = sessions.authenticate(http);
  if (!('id' in session)) {
    http.resume();
    // A token the server does not know is refused with HTTP 401 (the driver reports ERR_SF_RESPONSE_INVALID_TOKEN);
    // an expired one with 200 and 390112, which makes the driver renew it.
    return sendJson(http, response, session.code === '390112' ? 200 : 401, failure(session.code, session.message));
  }
  if (method === 'POST' && path === '/session/heartbeat') {
    await readBody(http);
    return sendJson(http, response, 200, success(null));
  }
  if (method === 'POST' && path === '/session' && url.searchParams.get('delete') === 'true') {
    await readBody(http);
    await sessions.close(session);
    return sendJson(http, response, 200, success(null));
  }
  if (method === 'POST' && path === '/queries/v1/query-request') return queries.request(http, response, url, session);
  // Query ids are UUIDs, matched without regard to case (the driver accepts either; ours are lower case).
  const resultMatch = /^\/queries\/([0-9a-f-]{36})\/result$/i.exec(path);
  if (method === 'GET' && resultMatch) return queries.result(http, response, resultMatch[1] as string);
  const monitorMatch = /^\/monitoring\/queries\/([0-9a-f-]{36})$/i.exec(path);
  if (method === 'GET' && monitorMatch) return queries.monitor(http, response, monitorMatch[1] as string);
  const abortMatch = /^\/queries\/([0-9a-f-]{36})\/abort-request$/i.exec(path);
  if (method === 'POST' && (abortMatch || path === '/queries/v1/abort-request'))
    return queries.abortRequest(http, response, session, abortMatch?.[1]);
  http.resume();
  sendJson(http, response, 404, failure('000404', `unsupported in the local Snowflake: ${method} ${path}`));
}

/** Injects the configured faults into a request: latency, a dropped connection, an HTTP error. True when answered. */
async function injectFault(
  faults: FaultController,
  http: IncomingMessage,
  response: ServerResponse,
  path: string,
): Promise<boolean> {
  const latency = faults.latencyMs();
  if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
  if (faults.shouldDropConnection()) {
    http.socket.destroy();
    return true;
  }
  const status = faults.httpError(path);
  if (status) {
    http.resume();
    response.writeHead(status, { 'content-type': 'text/plain' });
    response.end(`injected HTTP ${status}`);
    return true;
  }
  return false;
}

/**
 * The GCS-shaped upload URL of stream PUTs (`/__stage/kicksaw-stage/<relative path>`): the driver's stage
 * binding uploads its CSV here (see stages.ts).
 */
async function stageUpload(
  stages: Stages,
  http: IncomingMessage,
  response: ServerResponse,
  method: string,
  path: string,
): Promise<void> {
  const relativePath = decodeURIComponent(path.slice('/__stage/kicksaw-stage/'.length));
  const full = stages.uploadPath(relativePath);
  if (!full) {
    response.writeHead(403);
    response.end();
    return;
  }
  if (method === 'PUT') {
    const parts: Buffer[] = [];
    for await (const part of http) parts.push(part as Buffer);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, Buffer.concat(parts));
    response.writeHead(200);
    response.end();
    return;
  }
  response.writeHead(existsSync(full) ? 200 : 404);
  response.end();
}
