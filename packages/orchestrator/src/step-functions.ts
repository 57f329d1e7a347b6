import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  type BulkOperation,
  type Logger,
  type RowOutcome,
  type RunSummary,
  type SalesforceRecord,
  silentLogger,
} from '@kicksaw/core';
import { cacheJson, deleteObject, readCachedJson } from '@kicksaw/s3';
import { type IngestOptions, type PendingJob, resume } from '@kicksaw/sf-bulk';
import type { Connection } from 'jsforce';
import { IntegrationExecution, type IntegrationObjectSettings } from './integration-execution.js';
import { notSentOutcome, RowSet } from './rows.js';

/** Wraps the rows of a start task to learn which ones the engine never took or never settled. */
function track(source: IngestOptions['records']) {
  const handed = new RowSet();
  let exhausted = false;
  let counter = 0;
  const trackable =
    !(source instanceof Readable) &&
    (Symbol.iterator in Object(source) || Symbol.asyncIterator in Object(source)) &&
    typeof source !== 'string';
  if (!trackable) {
    return {
      records: source,
      settled: () => undefined,
      exhausted: () => true,
      notSent: async function* (): AsyncGenerator<RowOutcome> {},
    };
  }
  const iterator = (
    Symbol.asyncIterator in Object(source)
      ? (source as AsyncIterable<unknown>)[Symbol.asyncIterator]()
      : (source as Iterable<unknown>)[Symbol.iterator]()
  ) as AsyncIterator<unknown> | Iterator<unknown>;
  const numbered = (item: unknown): { row: number; record: SalesforceRecord } | { row: number; problem: never } => {
    counter += 1;
    if (typeof item === 'object' && item !== null && 'row' in item && ('record' in item || 'problem' in item)) {
      return item as { row: number; record: SalesforceRecord };
    }
    return { row: counter, record: item as SalesforceRecord };
  };
  async function* records(): AsyncGenerator<{ row: number; record: SalesforceRecord }> {
    for (;;) {
      const next = await iterator.next();
      if (next.done) {
        exhausted = true;
        return;
      }
      const item = numbered(next.value);
      handed.add(item.row);
      yield item as { row: number; record: SalesforceRecord };
    }
  }
  return {
    records: records() as IngestOptions['records'],
    settled: (row: number) => handed.delete(row),
    exhausted: () => exhausted,
    notSent: async function* (includeDropped: boolean): AsyncGenerator<RowOutcome> {
      if (includeDropped) for (const row of handed.values()) yield notSentOutcome(row);
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        const item = numbered(next.value);
        yield notSentOutcome(item.row, 'record' in item ? item.record : {});
      }
    },
  };
}

/** Step Functions refuses state over 256 KB; parked job states above this size go to S3. */
export const DEFAULT_OFFLOAD_BYTES = 200_000;

/** Options of {@link createLongLoadTasks}. */
export interface LongLoadOptions<P = unknown> {
  /** The Salesforce connection, or a factory called once per cold start. */
  connection: Connection | (() => Promise<Connection>);
  /** The `Name` of the `Integration__c` record. */
  integrationName: string;
  object: string;
  operation: BulkOperation;
  externalIdField?: string;
  /** The rows to load for a state machine input (read them from S3, an API, the payload itself...). */
  records: (payload: P) => IngestOptions['records'] | Promise<IngestOptions['records']>;
  /** Engine tuning. */
  ingest?: Partial<
    Omit<IngestOptions, 'connection' | 'object' | 'operation' | 'externalIdField' | 'records' | 'deadline'>
  >;
  /** How long a poll task waits for Salesforce before handing over to the Wait state, in ms. Default 60,000. */
  waitBudgetMs?: number;
  /**
   * How long the start task may read, send and wait, in ms. Default 300,000. The engine stops reading at
   * this time limit: rows not sent by then are recorded as unprocessed errors (`KICKSAW_DEADLINE`), never lost.
   */
  startBudgetMs?: number;
  /** Where parked job states over `thresholdBytes` go, so the state stays under Step Functions' 256 KB. */
  offload?: { s3Client: S3Client; bucket: string; prefix?: string; thresholdBytes?: number };
  /** Object and field names of the integration package. */
  settings?: IntegrationObjectSettings;
  logger?: Logger;
}

/** The state passed between the tasks (plain JSON, under 256 KB). */
export interface LongLoadState {
  executionId: string;
  /** `true` when no Salesforce job is left running: go to the finish task. */
  done: boolean;
  summary: RunSummary;
  errorRecords: number;
  polls: number;
  /** Jobs still running, inline... */
  jobs?: PendingJob[];
  /** ...or in S3 when large. */
  jobsRef?: { bucket: string; key: string };
}

/** The output of the finish task. */
export interface LongLoadResult {
  executionId: string;
  status: string;
  summary: RunSummary;
  errorRecords: number;
}

/** The three task handlers of a long load. */
export interface LongLoadTasks<P = unknown> {
  /** Creates the execution record, sends every row, waits up to the budget. */
  start(payload: P): Promise<LongLoadState>;
  /** Collects results of the jobs still running, up to the budget. */
  poll(state: LongLoadState): Promise<LongLoadState>;
  /** Sets the execution record's final status. */
  finish(state: LongLoadState): Promise<LongLoadResult>;
}

/**
 * Task handlers for a long load driven by Step Functions: `start` (execution record, send the rows,
 * wait a little) -> Choice on `$.done` -> Wait -> `poll` -> Choice ... -> `finish`. Each task waits at most
 * `waitBudgetMs`, so no Lambda runs long and Step Functions' Wait state (free) does the waiting. The state
 * carries the parked jobs (the compact reconciliation index of `@kicksaw/sf-bulk`); above
 * `offload.thresholdBytes` they go to S3 through `@kicksaw/s3`'s JSON cache. Every failed row becomes an
 * `IntegrationError__c` child of the execution.
 *
 * @example
 * ```ts
 * const tasks = createLongLoadTasks({ connection: () => connectFromEnv(), integrationName: 'ERP accounts',
 *   object: 'Account', operation: 'upsert', externalIdField: 'ERP_Id__c', records: (input) => readRows(input),
 *   offload: { s3Client, bucket: 'acme-integration-state' } });
 * export const start = (event) => tasks.start(event);
 * export const poll = (event) => tasks.poll(event);
 * export const finish = (event) => tasks.finish(event);
 * ```
 */
export function createLongLoadTasks<P = unknown>(options: LongLoadOptions<P>): LongLoadTasks<P> {
  const tasks: LongLoadContext<P> = {
    options,
    logger: options.logger ?? silentLogger,
    getConnection: longLoadConnection(options),
    context: { object: options.object, operation: options.operation, upsertKey: options.externalIdField },
  };
  return {
    start: (payload) => startLongLoad(tasks, payload),
    poll: (state) => pollLongLoad(tasks, state),
    finish: (state) => finishLongLoad(tasks, state),
  };
}

/** What the three tasks share: the options, the logger, one connection, the error records' context. */
interface LongLoadContext<P> {
  options: LongLoadOptions<P>;
  logger: Logger;
  getConnection: () => Promise<Connection>;
  context: { object: string; operation: LongLoadOptions<P>['operation']; upsertKey: string | undefined };
}

/** One connection for the tasks' life; a failed connect is forgotten so the next task tries again. */
function longLoadConnection<P>(options: LongLoadOptions<P>): () => Promise<Connection> {
  let connection: Promise<Connection> | undefined;
  return () => {
    if (!connection) {
      const made =
        typeof options.connection === 'function' ? options.connection() : Promise.resolve(options.connection);
      connection = made.catch((error: unknown) => {
        connection = undefined;
        throw error;
      });
    }
    return connection;
  };
}

function attachExecution<P>({ options, logger }: LongLoadContext<P>, conn: Connection, executionId: string) {
  return IntegrationExecution.attach({
    connection: conn,
    executionId,
    logger,
    ...(options.settings ? { settings: options.settings } : {}),
  });
}

/** Puts the parked jobs into the state, or into S3 (and a reference into the state) above the threshold. */
async function packJobs<P>(
  options: LongLoadOptions<P>,
  state: LongLoadState,
  jobs: PendingJob[],
): Promise<LongLoadState> {
  const threshold = options.offload?.thresholdBytes ?? DEFAULT_OFFLOAD_BYTES;
  const size = Buffer.byteLength(JSON.stringify(jobs));
  if (options.offload && size > threshold) {
    const { s3Client: client, bucket } = options.offload;
    const prefix = (options.offload.prefix ?? 'step-functions').replace(/\/+$/, '');
    const key = `${prefix}/${state.executionId}-${state.polls}.json`;
    const ref = await cacheJson(jobs, { client, bucket, key });
    return { ...state, jobsRef: { bucket: ref.bucket, key: ref.key } };
  }
  return { ...state, jobs };
}

/** The parked jobs {@link packJobs} put away (read from S3, and deleted there, when offloaded). */
async function unpackJobs<P>(options: LongLoadOptions<P>, state: LongLoadState): Promise<PendingJob[]> {
  if (state.jobsRef) {
    if (!options.offload) throw new Error('The state holds jobs in S3 but no offload client is configured');
    return readCachedJson<PendingJob[]>({ client: options.offload.s3Client, ...state.jobsRef, delete: true });
  }
  return state.jobs ?? [];
}

async function startLongLoad<P>(tasks: LongLoadContext<P>, payload: P): Promise<LongLoadState> {
  const { options, logger, context } = tasks;
  const conn = await tasks.getConnection();
  const execution = await IntegrationExecution.start({
    connection: conn,
    integrationName: options.integrationName,
    payload,
    logger,
    ...(options.settings ? { settings: options.settings } : {}),
  });
  try {
    const tracked = track(await options.records(payload));
    const result = await execution.ingest(
      {
        ...options.ingest,
        object: options.object,
        operation: options.operation,
        ...(options.externalIdField ? { externalIdField: options.externalIdField } : {}),
        records: tracked.records,
        deadline: Date.now() + (options.startBudgetMs ?? 300_000),
      },
      { onOutcome: (outcome) => tracked.settled(outcome.row) },
    );
    const jobs = result.run.pendingJobStates();
    if (!tracked.exhausted()) {
      // The time limit came while rows were still being read: account for every row not sent.
      await execution.record(tracked.notSent(jobs.length === 0), context);
      logger.error('the start task ran out of time before every row was sent; the rest are recorded as errors', {
        executionId: execution.id,
      });
    }
    const state: LongLoadState = {
      executionId: execution.id,
      done: jobs.length === 0,
      summary: { ...execution.summary },
      errorRecords: execution.errorRecords,
      polls: 0,
    };
    return await packJobs(options, state, jobs);
  } catch (error) {
    await execution.finish({ error }).catch(() => undefined);
    throw error;
  }
}

/** `summary` with `added`'s counts added to it. */
function addSummary(summary: LongLoadState['summary'], added: LongLoadState['summary']): LongLoadState['summary'] {
  const sum = { ...summary };
  for (const key of ['input', 'succeeded', 'failed', 'unprocessed', 'skipped', 'created'] as const) {
    sum[key] = (sum[key] ?? 0) + (added[key] ?? 0);
  }
  return sum;
}

async function pollLongLoad<P>(tasks: LongLoadContext<P>, state: LongLoadState): Promise<LongLoadState> {
  const { options, logger } = tasks;
  const conn = await tasks.getConnection();
  const execution = await attachExecution(tasks, conn, state.executionId);
  const jobs = await unpackJobs(options, state);
  const run = resume({
    connection: conn,
    jobs,
    deadline: Date.now() + (options.waitBudgetMs ?? 60_000),
    logger,
    ...(options.ingest?.pollIntervalMs ? { pollIntervalMs: options.ingest.pollIntervalMs } : {}),
    ...(options.ingest?.maxPollIntervalMs ? { maxPollIntervalMs: options.ingest.maxPollIntervalMs } : {}),
  });
  const added = await execution.record(run, tasks.context);
  const left = run.pendingJobStates();
  const next: LongLoadState = {
    executionId: state.executionId,
    done: left.length === 0,
    summary: addSummary(state.summary, added),
    errorRecords: state.errorRecords + execution.errorRecords,
    polls: state.polls + 1,
  };
  return packJobs(options, next, left);
}

async function finishLongLoad<P>(tasks: LongLoadContext<P>, state: LongLoadState) {
  const { options } = tasks;
  const conn = await tasks.getConnection();
  const execution = await attachExecution(tasks, conn, state.executionId);
  if (state.jobsRef && options.offload) {
    await deleteObject({ client: options.offload.s3Client, ...state.jobsRef }).catch(() => undefined);
  }
  const status = await execution.finish({ summary: state.summary });
  return { executionId: state.executionId, status, summary: state.summary, errorRecords: state.errorRecords };
}
