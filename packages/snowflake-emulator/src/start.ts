import { randomUUID } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { CopyInto } from './copy-into.js';
import { Engine } from './engine.js';
import { SnowflakeEmulatorError, SnowflakeSqlError } from './errors.js';
import { FaultController, type FaultSettings, type Faults } from './faults.js';
import { jwtProblem, userKeys } from './jwt.js';
import type { EncodedResult } from './results.js';
import { enqueue, newToken, type Session } from './session.js';
import { Stages } from './stages.js';
import type { Runtime, StatementOutcome, StatementRequest } from './statements/outcome.js';
import { runStatement } from './statements/run.js';
import { setTimeZone, useSchema } from './statements/session.js';
import { rollbackTransaction, TableLocks } from './transactions.js';

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

/** A query the emulator ran (or is running): what {@link SnowflakeEmulator.queries} lists. */
export interface QueryRecord {
  queryId: string;
  sessionId: number;
  sqlText: string;
  status: 'RUNNING' | 'SUCCESS' | 'FAILED_WITH_ERROR' | 'ABORTED';
  /** Whether the statement's binds came through a stage (the driver's stage binding). */
  bindStage: string | undefined;
  /** Rows inline plus rows in chunks. */
  rowCount: number;
  errorCode: string | undefined;
  errorMessage: string | undefined;
  startedAt: Date;
  endedAt: Date | undefined;
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

interface QueryState {
  record: QueryRecord;
  session: Session;
  done: Promise<void>;
  outcome?: StatementOutcome;
  error?: SnowflakeSqlError;
  chunkFiles: string[];
  /** Ends a fault-injected delay early when the query is aborted. */
  aborter: AbortController;
}

const DRIVER_PARAMETERS = (threshold: number) => [
  { name: 'TIMEZONE', value: 'UTC' },
  { name: 'TIMESTAMP_OUTPUT_FORMAT', value: 'YYYY-MM-DD HH24:MI:SS.FF3 TZHTZM' },
  { name: 'TIMESTAMP_NTZ_OUTPUT_FORMAT', value: 'YYYY-MM-DD HH24:MI:SS.FF3' },
  { name: 'TIMESTAMP_LTZ_OUTPUT_FORMAT', value: '' },
  { name: 'TIMESTAMP_TZ_OUTPUT_FORMAT', value: '' },
  { name: 'DATE_OUTPUT_FORMAT', value: 'YYYY-MM-DD' },
  { name: 'TIME_OUTPUT_FORMAT', value: 'HH24:MI:SS' },
  { name: 'BINARY_OUTPUT_FORMAT', value: 'HEX' },
  { name: 'CLIENT_RESULT_CHUNK_SIZE', value: 160 },
  { name: 'CLIENT_STAGE_ARRAY_BINDING_THRESHOLD', value: threshold },
  { name: 'CLIENT_SESSION_KEEP_ALIVE', value: false },
  { name: 'CLIENT_SESSION_KEEP_ALIVE_HEARTBEAT_FREQUENCY', value: 3600 },
  { name: 'QUERY_CONTEXT_CACHE_SIZE', value: 5 },
];

async function readBody(request: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  for await (const part of request) parts.push(part as Buffer);
  let body = Buffer.concat(parts);
  if (body.length === 0) return {};
  if (request.headers['content-encoding'] === 'gzip' || (body[0] === 0x1f && body[1] === 0x8b)) body = gunzipSync(body);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return {};
  }
}

function sendJson(request: IncomingMessage, response: ServerResponse, status: number, body: unknown): void {
  let payload: Buffer = Buffer.from(JSON.stringify(body));
  const headers: Record<string, string | number> = { 'content-type': 'application/json' };
  if (payload.length > 65536 && /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))) {
    payload = gzipSync(payload, { level: 1 });
    headers['content-encoding'] = 'gzip';
  }
  headers['content-length'] = payload.length;
  response.writeHead(status, headers);
  response.end(payload);
}

function failure(code: string, message: string, data: Record<string, unknown> = {}): Record<string, unknown> {
  return { success: false, code, message, data: { errorCode: code, internalError: false, ...data } };
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
  const account = options.account ?? 'kicksaw';
  const username = options.username ?? 'kicksaw';
  const password = options.password ?? 'password';
  const keys = userKeys(options.publicKey);
  const clock = options.now ?? Date.now;
  const fold = (name: string) => (name.startsWith('"') && name.endsWith('"') ? name.slice(1, -1) : name.toUpperCase());
  const database = fold(options.database ?? 'KICKSAW');
  const schema = fold(options.schema ?? 'PUBLIC');
  const warehouse = options.warehouse ?? 'COMPUTE_WH';
  const role = options.role ?? 'ACCOUNTADMIN';
  const sessionValidity = options.sessionValiditySeconds ?? 3600;
  const masterValidity = options.masterValiditySeconds ?? 14400;
  const threshold = options.arrayBindingThreshold ?? 100000;
  const syncWaitMs = options.syncWaitMs ?? 45000;
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
  const sessions = new Map<number, Session>();
  const byToken = new Map<string, Session>();
  const byMaster = new Map<string, Session>();
  const queries = new Map<string, QueryState>();
  const byRequestId = new Map<string, QueryState>();
  let nextSessionId = 1;

  // The driver reads its session parameters back from every reply (JS_TREAT_INTEGER_AS_BIGINT, TIMEZONE, ...).
  const sessionParameters = (session: Session) => {
    const list: Array<{ name: string; value: unknown }> = DRIVER_PARAMETERS(threshold).filter(
      (p) => !session.parameters.has(p.name),
    );
    for (const [name, value] of session.parameters) list.push({ name, value });
    return list;
  };

  const closeSession = async (session: Session) => {
    if (session.closed) return;
    session.closed = true;
    sessions.delete(session.id);
    byToken.delete(session.token);
    byMaster.delete(session.masterToken);
    await session.queue.catch(() => undefined);
    // A session that ends inside a transaction rolls it back, as Snowflake does, and so frees its locks.
    await rollbackTransaction(session, runtime.locks).catch(() => undefined);
    try {
      session.connection.closeSync();
    } catch {
      // already closed
    }
    await stages.dropSession(session);
    for (const [id, state] of queries) {
      if (state.session === session && state.outcome?.kind === 'result' && state.outcome.result.chunks.length > 0) {
        await rm(join(runtime.resultsDir, id), { recursive: true, force: true });
      }
    }
  };

  const authenticate = (request: IncomingMessage): Session | { code: string; message: string } => {
    const header = String(request.headers.authorization ?? '');
    const token = /Snowflake Token="([^"]*)"/.exec(header)?.[1];
    if (!token) return { code: '390101', message: 'Authorization header not found in the request data.' };
    const session = byToken.get(token);
    if (!session)
      return { code: '390104', message: 'Invalid session token. The session no longer exists or was closed.' };
    if (Date.now() >= session.tokenExpiresAt)
      return { code: '390112', message: 'Session token has expired. Renew it with the master token.' };
    return session;
  };

  const resultData = (state: QueryState, outcome: StatementOutcome): Record<string, unknown> => {
    const session = state.session;
    const common = {
      queryId: state.record.queryId,
      parameters: sessionParameters(session),
      finalDatabaseName: session.database ?? null,
      finalSchemaName: session.schema ?? null,
      finalWarehouseName: session.warehouse,
      finalRoleName: session.role,
      databaseProvider: null,
    };
    if (outcome.kind === 'transfer') return { ...common, ...outcome.data };
    const result: EncodedResult = outcome.result;
    const data: Record<string, unknown> = {
      ...common,
      rowtype: result.rowtype,
      rowset: result.rowset,
      total: result.total,
      returned: result.total,
      statementTypeId: outcome.statementTypeId,
      version: 1,
      numberOfBinds: 0,
      arrayBindSupported: true,
      queryResultFormat: 'json',
      sendResultTime: Date.now(),
    };
    if (outcome.children) data.resultIds = outcome.children.map((child) => child.queryId).join(',');
    if (result.chunks.length > 0) {
      data.chunks = result.chunks.map((chunk, index) => ({
        url: `${baseUrl}/__chunks/${state.record.queryId}/${index}`,
        rowCount: chunk.rowCount,
        uncompressedSize: chunk.uncompressedSize,
        compressedSize: chunk.uncompressedSize,
      }));
      data.qrmk = 'local';
      data.chunkHeaders = {};
    }
    return data;
  };

  const errorBody = (state: QueryState, error: SnowflakeSqlError) =>
    failure(error.sfCode, error.message, { sqlState: error.sqlState, queryId: state.record.queryId, age: 0 });

  const start = (session: Session, request: StatementRequest): QueryState => {
    const queryId = randomUUID();
    const record: QueryRecord = {
      queryId,
      sessionId: session.id,
      sqlText: request.sqlText,
      status: 'RUNNING',
      bindStage: request.bindStage,
      rowCount: 0,
      errorCode: undefined,
      errorMessage: undefined,
      startedAt: new Date(),
      endedAt: undefined,
    };
    const state: QueryState = {
      record,
      session,
      done: Promise.resolve(),
      chunkFiles: [],
      aborter: new AbortController(),
    };
    queries.set(queryId, state);
    if (queries.size > 10000) {
      const oldest = queries.keys().next().value as string;
      queries.delete(oldest);
    }
    if (byRequestId.size > 10000) byRequestId.delete(byRequestId.keys().next().value as string);
    state.done = enqueue(session, async () => {
      session.running = queryId;
      try {
        const slow = faults.slowQueryMs(request.sqlText);
        if (slow > 0) await delay(slow, undefined, { signal: state.aborter.signal }).catch(() => undefined);
        if (record.status === 'ABORTED')
          throw new SnowflakeSqlError('SQL execution canceled', { sfCode: '000604', sqlState: '57014' });
        const outcome = await runStatement(session, runtime, request, queryId);
        if ((record.status as string) === 'ABORTED')
          throw new SnowflakeSqlError('SQL execution canceled', { sfCode: '000604', sqlState: '57014' });
        for (const child of outcome.kind === 'result' ? (outcome.children ?? []) : []) {
          const done = new Date();
          queries.set(child.queryId, {
            record: {
              ...record,
              queryId: child.queryId,
              sqlText: child.sqlText,
              status: 'SUCCESS',
              rowCount: child.outcome.kind === 'result' ? child.outcome.result.total : 0,
              endedAt: done,
            },
            session,
            done: Promise.resolve(),
            outcome: child.outcome,
            chunkFiles: [],
            aborter: new AbortController(),
          });
        }
        state.outcome = outcome;
        record.status = 'SUCCESS';
        record.rowCount = outcome.kind === 'result' ? outcome.result.total : 0;
      } catch (error) {
        const sqlError =
          record.status === 'ABORTED'
            ? new SnowflakeSqlError('SQL execution canceled', { sfCode: '000604', sqlState: '57014' })
            : error instanceof SnowflakeSqlError
              ? error
              : new SnowflakeSqlError(`SQL execution internal error: ${(error as Error).message}`, {
                  sfCode: '000603',
                  sqlState: 'XX000',
                  cause: error,
                });
        state.error = sqlError;
        if (record.status !== 'ABORTED') record.status = 'FAILED_WITH_ERROR';
        record.errorCode = sqlError.sfCode;
        record.errorMessage = sqlError.message;
      } finally {
        session.running = undefined;
        record.endedAt = new Date();
      }
    });
    return state;
  };

  const finished = (state: QueryState) => state.record.status !== 'RUNNING';

  const replyWith = (state: QueryState, http: IncomingMessage, response: ServerResponse) => {
    if (state.error) return sendJson(http, response, 200, errorBody(state, state.error));
    if (!state.outcome) return inProgress(state, http, response, '333333');
    sendJson(http, response, 200, { success: true, code: null, message: null, data: resultData(state, state.outcome) });
  };

  const inProgress = (state: QueryState, http: IncomingMessage, response: ServerResponse, code: '333333' | '333334') =>
    sendJson(http, response, 200, {
      success: true,
      code,
      message:
        code === '333334'
          ? 'Asynchronous execution in progress. Use provided query id to perform query monitoring and management.'
          : 'Query execution in progress.',
      data: {
        queryId: state.record.queryId,
        getResultUrl: `/queries/${state.record.queryId}/result`,
        queryAbortsAfterSecs: 172800,
        progressDesc: null,
      },
    });

  const waitFor = async (state: QueryState, ms: number) => {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([state.done, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
    if (timer) clearTimeout(timer);
  };

  const abort = async (state: QueryState) => {
    if (finished(state)) return;
    state.record.status = 'ABORTED';
    state.aborter.abort();
    if (state.session.running === state.record.queryId) {
      try {
        state.session.connection.interrupt();
      } catch {
        // nothing running in DuckDB right now
      }
    }
  };

  const login = async (http: IncomingMessage, response: ServerResponse, url: URL) => {
    const body = (await readBody(http)) as { data?: Record<string, unknown> };
    const data = body.data ?? {};
    const loginName = String(data.LOGIN_NAME ?? '');
    const authenticator = String(data.AUTHENTICATOR ?? 'SNOWFLAKE').toUpperCase();
    if (authenticator === 'SNOWFLAKE_JWT') {
      const problem =
        loginName.toUpperCase() !== username.toUpperCase()
          ? `unknown user ${loginName}`
          : jwtProblem(String(data.TOKEN ?? ''), {
              account: String(data.ACCOUNT_NAME ?? ''),
              user: loginName,
              keys,
              nowMs: clock(),
            });
      // Snowflake says no more than this to the client, whatever the reason.
      if (problem) return sendJson(http, response, 200, failure('390144', 'JWT token is invalid.'));
    } else if (authenticator !== 'SNOWFLAKE' && authenticator !== 'USERNAME_PASSWORD_MFA') {
      return sendJson(
        http,
        response,
        200,
        failure(
          '390190',
          `unsupported in the local Snowflake: the ${authenticator} authenticator (use a password or a key pair)`,
        ),
      );
    } else if (loginName.toUpperCase() !== username.toUpperCase() || String(data.PASSWORD ?? '') !== password) {
      return sendJson(http, response, 200, failure('390100', 'Incorrect username or password was specified.'));
    }
    const connection = await engine.connect();
    const now = Date.now();
    const session: Session = {
      id: nextSessionId++,
      token: newToken('ver:1-hint:1-ETMsDgAAA'),
      masterToken: newToken('ver:1-hint:1-ETMsDgAAM'),
      tokenExpiresAt: now + sessionValidity * 1000,
      masterExpiresAt: now + masterValidity * 1000,
      user: loginName.toUpperCase(),
      role: (url.searchParams.get('roleName') || role).toUpperCase(),
      warehouse: (url.searchParams.get('warehouse') || warehouse).toUpperCase(),
      database: undefined,
      schema: undefined,
      connection,
      inTransaction: false,
      parameters: new Map(),
      queue: Promise.resolve(),
      running: undefined,
      closed: false,
    };
    const requested = (data.SESSION_PARAMETERS ?? {}) as Record<string, string | number | boolean>;
    for (const [key, value] of Object.entries(requested)) {
      if (key.toUpperCase() === 'TIMEZONE') await setTimeZone(session, String(value)).catch(() => undefined);
      else session.parameters.set(key.toUpperCase(), value);
    }
    const wantDatabase = url.searchParams.get('databaseName') ?? database;
    const wantSchema = url.searchParams.get('schemaName') ?? schema;
    try {
      if (wantDatabase) await useSchema(session, runtime, fold(wantDatabase), fold(wantSchema || 'PUBLIC'));
    } catch {
      try {
        if (wantDatabase) await useSchema(session, runtime, fold(wantDatabase), undefined);
      } catch {
        // Snowflake logs in without a current database when the named one does not exist
      }
    }
    sessions.set(session.id, session);
    byToken.set(session.token, session);
    byMaster.set(session.masterToken, session);
    sendJson(http, response, 200, {
      success: true,
      code: null,
      message: null,
      data: {
        token: session.token,
        masterToken: session.masterToken,
        validityInSeconds: sessionValidity,
        masterValidityInSeconds: masterValidity,
        sessionId: session.id,
        displayUserName: session.user,
        serverVersion: runtime.version,
        firstLogin: false,
        remMeToken: null,
        remMeValidityInSeconds: 0,
        healthCheckInterval: 45,
        newClientForUpgrade: null,
        idToken: null,
        idTokenValidityInSeconds: 0,
        responseData: null,
        mfaToken: null,
        mfaTokenValidityInSeconds: 0,
        parameters: sessionParameters(session),
        sessionInfo: {
          databaseName: session.database ?? null,
          schemaName: session.schema ?? null,
          warehouseName: session.warehouse,
          roleName: session.role,
        },
      },
    });
  };

  const handle = async (http: IncomingMessage, response: ServerResponse) => {
    const url = new URL(http.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const latency = faults.latencyMs();
    if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
    if (faults.shouldDropConnection()) {
      http.socket.destroy();
      return;
    }
    const status = faults.httpError(path);
    if (status) {
      http.resume();
      response.writeHead(status, { 'content-type': 'text/plain' });
      response.end(`injected HTTP ${status}`);
      return;
    }
    const method = http.method ?? 'GET';
    if (method === 'POST' && path === '/session/v1/login-request') return login(http, response, url);
    if (method === 'POST' && path === '/telemetry/send') {
      await readBody(http);
      return sendJson(http, response, 200, { success: true, code: null, message: null, data: 'Log Received' });
    }
    if (method === 'GET' && path.startsWith('/__chunks/')) {
      const [, , queryId, index] = path.split('/');
      const state = queries.get(queryId ?? '');
      const chunk = state?.outcome?.kind === 'result' ? state.outcome.result.chunks[Number(index)] : undefined;
      if (!chunk || !existsSync(chunk.path)) {
        response.writeHead(404, { 'content-type': 'text/plain' });
        response.end('result chunk not found (results live until their session ends)');
        return;
      }
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': chunk.uncompressedSize });
      createReadStream(chunk.path, { start: chunk.start, end: chunk.end - 1 }).pipe(response);
      return;
    }
    if (path.startsWith('/__stage/')) {
      // The GCS-shaped upload URL of stream PUTs: /__stage/kicksaw-stage/<relative path>
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
      return;
    }
    if (method === 'POST' && path === '/session/token-request') {
      const body = (await readBody(http)) as { oldSessionToken?: string };
      const header = String(http.headers.authorization ?? '');
      const master = /Snowflake Token="([^"]*)"/.exec(header)?.[1] ?? '';
      const session = byMaster.get(master);
      if (!session)
        return sendJson(
          http,
          response,
          200,
          failure('390111', 'Session no longer exists. New login required to access the service.'),
        );
      if (Date.now() >= session.masterExpiresAt)
        return sendJson(
          http,
          response,
          200,
          failure('390114', 'Authentication token has expired.  The user must authenticate again.'),
        );
      void body;
      byToken.delete(session.token);
      session.token = newToken('ver:1-hint:1-ETMsDgAAA');
      session.tokenExpiresAt = Date.now() + sessionValidity * 1000;
      byToken.set(session.token, session);
      return sendJson(http, response, 200, {
        success: true,
        code: null,
        message: null,
        data: {
          sessionToken: session.token,
          token: session.token,
          validityInSecondsST: sessionValidity,
          validityInSeconds: sessionValidity,
          masterToken: session.masterToken,
          validityInSecondsMT: Math.max(0, Math.floor((session.masterExpiresAt - Date.now()) / 1000)),
          masterValidityInSeconds: Math.max(0, Math.floor((session.masterExpiresAt - Date.now()) / 1000)),
          sessionId: session.id,
        },
      });
    }
    const auth = authenticate(http);
    if (!('id' in auth)) {
      http.resume();
      // A token the server does not know is refused with HTTP 401 (the driver reports ERR_SF_RESPONSE_INVALID_TOKEN);
      // an expired one with 200 and 390112, which makes the driver renew it.
      return sendJson(http, response, auth.code === '390112' ? 200 : 401, failure(auth.code, auth.message));
    }
    const session = auth;
    if (method === 'POST' && path === '/session/heartbeat') {
      await readBody(http);
      return sendJson(http, response, 200, { success: true, code: null, message: null, data: null });
    }
    if (method === 'POST' && path === '/session' && url.searchParams.get('delete') === 'true') {
      await readBody(http);
      await closeSession(session);
      return sendJson(http, response, 200, { success: true, code: null, message: null, data: null });
    }
    if (method === 'POST' && path === '/queries/v1/query-request') {
      const body = (await readBody(http)) as StatementRequest & { asyncExec?: boolean };
      if (typeof body.sqlText !== 'string')
        return sendJson(http, response, 200, failure('000900', 'SQL text is missing.'));
      // A retry carries the request id of the first attempt: answer with that run, never run twice.
      const requestId = url.searchParams.get('requestId');
      const known = requestId ? byRequestId.get(`${session.id}:${requestId}`) : undefined;
      const state = known ?? start(session, body);
      if (requestId && !known) byRequestId.set(`${session.id}:${requestId}`, state);
      if (body.asyncExec) return inProgress(state, http, response, '333334');
      await waitFor(state, syncWaitMs);
      if (finished(state) && faults.shouldLoseReply()) {
        http.socket.destroy();
        return;
      }
      return replyWith(state, http, response);
    }
    // Query ids are UUIDs, matched without regard to case (the driver accepts either; ours are lower case).
    const resultMatch = /^\/queries\/([0-9a-f-]{36})\/result$/i.exec(path);
    if (method === 'GET' && resultMatch) {
      const state = queries.get((resultMatch[1] as string).toLowerCase());
      if (!state)
        return sendJson(
          http,
          response,
          200,
          failure('000709', `Statement ${resultMatch[1]} not found`, { queryId: resultMatch[1] }),
        );
      await waitFor(state, Math.min(syncWaitMs, 5000));
      return replyWith(state, http, response);
    }
    const monitorMatch = /^\/monitoring\/queries\/([0-9a-f-]{36})$/i.exec(path);
    if (method === 'GET' && monitorMatch) {
      const state = queries.get((monitorMatch[1] as string).toLowerCase());
      if (!state)
        return sendJson(http, response, 200, { success: true, code: null, message: null, data: { queries: [] } });
      const r = state.record;
      return sendJson(http, response, 200, {
        success: true,
        code: null,
        message: null,
        data: {
          queries: [
            {
              id: r.queryId,
              status: r.status,
              state: r.status === 'SUCCESS' ? 'SUCCEEDED' : r.status,
              sqlText: r.sqlText,
              startTime: r.startedAt.getTime(),
              endTime: r.endedAt?.getTime() ?? 0,
              errorCode: r.errorCode ?? '',
              errorMessage: r.errorMessage ?? '',
              sessionId: r.sessionId,
              stats: { producedRows: r.rowCount },
            },
          ],
        },
      });
    }
    const abortMatch = /^\/queries\/([0-9a-f-]{36})\/abort-request$/i.exec(path);
    if (method === 'POST' && (abortMatch || path === '/queries/v1/abort-request')) {
      await readBody(http);
      const state = abortMatch
        ? queries.get((abortMatch[1] as string).toLowerCase())
        : [...queries.values()].reverse().find((q) => q.session === session && !finished(q));
      if (state) await abort(state);
      return sendJson(http, response, 200, { success: true, code: null, message: null, data: null });
    }
    http.resume();
    sendJson(http, response, 404, failure('000404', `unsupported in the local Snowflake: ${method} ${path}`));
  };

  const server: Server = createServer((http, response) => {
    handle(http, response).catch((error: unknown) => {
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
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(
        new SnowflakeEmulatorError(`could not listen on ${host}:${options.port ?? 0}: ${error.message}`, {
          code: 'LISTEN_FAILED',
          cause: error,
        }),
      ),
    );
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://${host}:${port}`;
  let stopped = false;
  return {
    accessUrl: baseUrl,
    host,
    port,
    account,
    username,
    password,
    database,
    schema,
    warehouse,
    role,
    faults,
    queries: () => [...queries.values()].map((state) => ({ ...state.record })),
    expireSessionTokens: () => {
      for (const session of sessions.values()) session.tokenExpiresAt = 0;
    },
    expireSessions: () => {
      for (const session of [...sessions.values()]) void closeSession(session);
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of [...sessions.values()]) await closeSession(session);
      await engine.close();
      await rm(work, { recursive: true, force: true });
    },
  };
}
