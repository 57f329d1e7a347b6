// Statements over HTTP: `query-request` (sync, async, retried request ids answered from their first run), the
// reply of a result with its chunk URLs, polling of results and monitoring, abort, and serving the chunks.
import { randomUUID } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { SnowflakeSqlError } from '../errors.js';
import type { FaultController } from '../faults.js';
import type { EncodedResult } from '../results.js';
import { enqueue, type Session } from '../session.js';
import type { Runtime, StatementOutcome, StatementRequest } from '../statements/outcome.js';
import { runStatement } from '../statements/run.js';
import { failure, readBody, sendJson, success } from './http.js';
import type { Sessions } from './sessions.js';

/** A query the emulator ran (or is running): what `SnowflakeEmulator.queries()` lists. */
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

/** Queries and request ids remembered (the oldest are forgotten past it). */
const REMEMBERED = 10000;

const canceled = () => new SnowflakeSqlError('SQL execution canceled', { sfCode: '000604', sqlState: '57014' });

/** The queries run so far, by query id and by the driver's request id. */
export class Queries {
  private readonly byId = new Map<string, QueryState>();
  private readonly byRequestId = new Map<string, QueryState>();

  constructor(
    private readonly runtime: Runtime,
    private readonly sessions: Sessions,
    private readonly faults: FaultController,
    private readonly syncWaitMs: number,
    /** `http://host:port`, known once the server listens. */
    private readonly baseUrl: () => string,
  ) {}

  records(): QueryRecord[] {
    return [...this.byId.values()].map((state) => ({ ...state.record }));
  }

  /** Removes the result files of a closed session's queries. */
  async dropResults(session: Session): Promise<void> {
    for (const [id, state] of this.byId) {
      if (state.session === session && state.outcome?.kind === 'result' && state.outcome.result.chunks.length > 0) {
        await rm(join(this.runtime.resultsDir, id), { recursive: true, force: true });
      }
    }
  }

  /** `POST /queries/v1/query-request`. */
  async request(http: IncomingMessage, response: ServerResponse, url: URL, session: Session): Promise<void> {
    const body = (await readBody(http)) as StatementRequest & { asyncExec?: boolean };
    if (typeof body.sqlText !== 'string')
      return sendJson(http, response, 200, failure('000900', 'SQL text is missing.'));
    // A retry carries the request id of the first attempt: answer with that run, never run twice.
    const requestId = url.searchParams.get('requestId');
    const known = requestId ? this.byRequestId.get(`${session.id}:${requestId}`) : undefined;
    const state = known ?? this.start(session, body);
    if (requestId && !known) this.byRequestId.set(`${session.id}:${requestId}`, state);
    if (body.asyncExec) return this.inProgress(state, http, response, '333334');
    await this.waitFor(state, this.syncWaitMs);
    if (finished(state) && this.faults.shouldLoseReply()) {
      http.socket.destroy();
      return;
    }
    return this.replyWith(state, http, response);
  }

  /** `GET /queries/{id}/result`: the result, or "still running" after a while. */
  async result(http: IncomingMessage, response: ServerResponse, queryId: string): Promise<void> {
    const state = this.byId.get(queryId.toLowerCase());
    if (!state) return sendJson(http, response, 200, failure('000709', `Statement ${queryId} not found`, { queryId }));
    await this.waitFor(state, Math.min(this.syncWaitMs, 5000));
    return this.replyWith(state, http, response);
  }

  /** `GET /monitoring/queries/{id}`. */
  monitor(http: IncomingMessage, response: ServerResponse, queryId: string): void {
    const state = this.byId.get(queryId.toLowerCase());
    if (!state) {
      sendJson(http, response, 200, success({ queries: [] }));
      return;
    }
    const r = state.record;
    sendJson(
      http,
      response,
      200,
      success({
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
      }),
    );
  }

  /** `POST /queries/{id}/abort-request`, or `/queries/v1/abort-request` (the session's running query). */
  async abortRequest(
    http: IncomingMessage,
    response: ServerResponse,
    session: Session,
    queryId: string | undefined,
  ): Promise<void> {
    await readBody(http);
    const state = queryId
      ? this.byId.get(queryId.toLowerCase())
      : [...this.byId.values()].reverse().find((q) => q.session === session && !finished(q));
    if (state) await abort(state);
    sendJson(http, response, 200, success(null));
  }

  /** `GET /__chunks/{id}/{index}`: a chunk of a result, a byte range of its file. */
  chunk(response: ServerResponse, queryId: string, index: number): void {
    const state = this.byId.get(queryId);
    const chunk = state?.outcome?.kind === 'result' ? state.outcome.result.chunks[index] : undefined;
    if (!chunk || !existsSync(chunk.path)) {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('result chunk not found (results live until their session ends)');
      return;
    }
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': chunk.uncompressedSize });
    createReadStream(chunk.path, { start: chunk.start, end: chunk.end - 1 }).pipe(response);
  }

  private remember(queryId: string, state: QueryState): void {
    this.byId.set(queryId, state);
    if (this.byId.size > REMEMBERED) this.byId.delete(this.byId.keys().next().value as string);
    if (this.byRequestId.size > REMEMBERED) this.byRequestId.delete(this.byRequestId.keys().next().value as string);
  }

  /** Queues a statement on its session; the state settles when it has run. */
  private start(session: Session, request: StatementRequest): QueryState {
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
    this.remember(queryId, state);
    state.done = enqueue(session, async () => {
      session.running = queryId;
      try {
        const outcome = await this.run(state, request);
        this.rememberChildren(state, outcome);
        state.outcome = outcome;
        record.status = 'SUCCESS';
        record.rowCount = outcome.kind === 'result' ? outcome.result.total : 0;
      } catch (error) {
        fail(state, error);
      } finally {
        session.running = undefined;
        record.endedAt = new Date();
      }
    });
    return state;
  }

  /** Runs the statement after an injected slow-query delay, unless the query was aborted meanwhile. */
  private async run(state: QueryState, request: StatementRequest): Promise<StatementOutcome> {
    const { record, session } = state;
    const slow = this.faults.slowQueryMs(request.sqlText);
    if (slow > 0) await delay(slow, undefined, { signal: state.aborter.signal }).catch(() => undefined);
    if (record.status === 'ABORTED') throw canceled();
    const outcome = await runStatement(session, this.runtime, request, record.queryId);
    if ((record.status as string) === 'ABORTED') throw canceled();
    return outcome;
  }

  /** The statements of a multi-statement request, each a query of its own id (the driver fetches them by id). */
  private rememberChildren(state: QueryState, outcome: StatementOutcome): void {
    for (const child of outcome.kind === 'result' ? (outcome.children ?? []) : []) {
      const done = new Date();
      this.byId.set(child.queryId, {
        record: {
          ...state.record,
          queryId: child.queryId,
          sqlText: child.sqlText,
          status: 'SUCCESS',
          rowCount: child.outcome.kind === 'result' ? child.outcome.result.total : 0,
          endedAt: done,
        },
        session: state.session,
        done: Promise.resolve(),
        outcome: child.outcome,
        chunkFiles: [],
        aborter: new AbortController(),
      });
    }
  }

  private replyWith(state: QueryState, http: IncomingMessage, response: ServerResponse): void {
    if (state.error) sendJson(http, response, 200, errorBody(state, state.error));
    else if (!state.outcome) this.inProgress(state, http, response, '333333');
    else sendJson(http, response, 200, success(this.resultData(state, state.outcome)));
  }

  private inProgress(
    state: QueryState,
    http: IncomingMessage,
    response: ServerResponse,
    code: '333333' | '333334',
  ): void {
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
  }

  private async waitFor(state: QueryState, ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([state.done, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
    if (timer) clearTimeout(timer);
  }

  /** The `data` of a reply with a statement's outcome: rowtype, rowset, chunk URLs, the session's state. */
  private resultData(state: QueryState, outcome: StatementOutcome): Record<string, unknown> {
    const session = state.session;
    const common = {
      queryId: state.record.queryId,
      parameters: this.sessions.parameters(session),
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
        url: `${this.baseUrl()}/__chunks/${state.record.queryId}/${index}`,
        rowCount: chunk.rowCount,
        uncompressedSize: chunk.uncompressedSize,
        compressedSize: chunk.uncompressedSize,
      }));
      data.qrmk = 'local';
      data.chunkHeaders = {};
    }
    return data;
  }
}

const finished = (state: QueryState) => state.record.status !== 'RUNNING';

/** Records a statement's failure as Snowflake reports it (an error that is not Snowflake's is an internal one). */
function fail(state: QueryState, error: unknown): void {
  const { record } = state;
  const sqlError =
    record.status === 'ABORTED'
      ? canceled()
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
}

function errorBody(state: QueryState, error: SnowflakeSqlError): Record<string, unknown> {
  return failure(error.sfCode, error.message, { sqlState: error.sqlState, queryId: state.record.queryId, age: 0 });
}

async function abort(state: QueryState): Promise<void> {
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
}
