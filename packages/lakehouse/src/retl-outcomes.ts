/**
 * Steps 3 and 4 of a reverse ETL: sending records through sf-bulk's `ingest` with each outcome written to a
 * file as it arrives (flat memory), then the outcomes loaded into the warehouse (when no read stream is open
 * any more): into the results table, and the successes into the snapshot. `mirror` sends deletes the same way.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger, RowOutcome, SalesforceRecord } from '@kicksaw/core';
import type { ErrorReportWriter } from '@kicksaw/error-report';
import { type IngestSummary, ingest } from '@kicksaw/sf-bulk';
import {
  RETL_BATCH_ROWS,
  RETL_SNAPSHOT_TABLE,
  type ReverseEtlOptions,
  type ReverseEtlSummary,
} from './retl-options.js';
import { seqBound } from './retl-stage.js';
import type { ColumnSpec, SqlValue, Warehouse, WarehouseSession } from './warehouse.js';
import { firstRow, uniqueName } from './work-tables.js';

/** What a reverse ETL run sends with: its options, logger, report and summary, and a folder for outcome files. */
export interface RetlRun {
  options: ReverseEtlOptions;
  logger: Logger;
  report: ErrorReportWriter | undefined;
  summary: ReverseEtlSummary;
  directory: string;
}

interface OutcomeLine {
  seq: number;
  status: string;
  id: string | null;
  created: boolean;
  code: string | null;
  message: string | null;
  jobId: string | null;
}

const OUTCOME_COLUMNS: ColumnSpec[] = [
  { name: 'seq', type: { kind: 'integer' } },
  { name: 'status', type: { kind: 'text' } },
  { name: 'sf_id', type: { kind: 'id' } },
  { name: 'created', type: { kind: 'boolean' } },
  { name: 'error_code', type: { kind: 'text' } },
  { name: 'error_message', type: { kind: 'text' } },
  { name: 'job_id', type: { kind: 'id' } },
];

/** The results table: the run, the row's key and its outcome, when it finished. */
const RESULT_TABLE_COLUMNS: ColumnSpec[] = [
  { name: 'run_id', type: { kind: 'text' } },
  { name: 'name', type: { kind: 'text' } },
  { name: 'object_name', type: { kind: 'text' } },
  { name: 'operation', type: { kind: 'text' } },
  { name: 'row_key', type: { kind: 'text' } },
  ...OUTCOME_COLUMNS,
  { name: 'finished_at', type: { kind: 'timestamp' } },
];

const RESULT_COLUMNS = RESULT_TABLE_COLUMNS.map((c) => c.name).join(', ');

/** Creates the snapshot and results tables when missing. */
export async function ensureRetlTables(warehouse: Warehouse, resultsTable: string): Promise<void> {
  if (!(await warehouse.listColumns(RETL_SNAPSHOT_TABLE))) {
    await warehouse.createTable(RETL_SNAPSHOT_TABLE, [
      { name: 'name', type: { kind: 'text' } },
      { name: 'row_key', type: { kind: 'text' } },
      { name: 'row_hash', type: { kind: 'text' } },
      { name: 'sf_id', type: { kind: 'id' } },
      { name: 'run_id', type: { kind: 'text' } },
    ]);
  }
  if (!(await warehouse.listColumns(resultsTable))) await warehouse.createTable(resultsTable, RESULT_TABLE_COLUMNS);
}

/**
 * Sends the staged rows `changed` selects, batch by batch of `batchRows` staged rows in staging (key) order, and
 * records their outcomes: into the results table, and the successes into the snapshot (the last row sent per
 * key wins), a range of rows per statement and per transaction. Should recording fail, the ranges committed
 * before stay recorded (their rows were sent; the others are sent again next run, as the
 * snapshot does not hold them). No job is created when no row is to be sent.
 */
export async function sendChanged(
  run: RetlRun,
  changed: (after: number, upTo: number) => { sql: string; params: SqlValue[] },
  stage: string,
  outcomesTable: string,
): Promise<void> {
  const { options, summary, logger } = run;
  const { warehouse } = options;
  const batchRows = options.batchRows ?? RETL_BATCH_ROWS;
  options.onProgress?.({ object: options.object, phase: 'send', rows: 0 });
  async function* records(): AsyncGenerator<{ row: number; record: SalesforceRecord }> {
    for (let after = 0; after < summary.read; after += batchRows) {
      const batch = changed(after, Math.min(after + batchRows, summary.read));
      for await (const row of warehouse.query(batch.sql, batch.params)) {
        options.signal?.throwIfAborted();
        yield { row: Number(row.seq), record: JSON.parse(String(row.payload)) as SalesforceRecord };
      }
    }
  }
  // The first row decides whether there is anything to send: no job for zero rows.
  const rows = records();
  const first = await rows.next();
  if (first.done) {
    logger.info('Nothing to send: no job created', { name: summary.name, read: summary.read });
    return;
  }
  async function* all(): AsyncGenerator<{ row: number; record: SalesforceRecord }> {
    yield first.value as { row: number; record: SalesforceRecord };
    yield* rows;
  }
  const outcomesFile = join(run.directory, 'outcomes.ndjson');
  const counts = new OutcomeCounts(summary.read, batchRows);
  const sent = await sendAndRecord(run, all(), outcomesFile, options.operation, options, counts);
  summary.jobs = sent.jobs;
  summary.sent = sent.input;
  summary.succeeded = sent.succeeded;
  summary.created = sent.created ?? 0;
  summary.failed = sent.failed;
  summary.unprocessed = sent.unprocessed + sent.skipped;

  options.onProgress?.({ object: options.object, phase: 'results', rows: summary.sent });
  const snapshot = warehouse.quoteTable(RETL_SNAPSHOT_TABLE);
  const finishedAt = new Date();
  // The outcomes are loaded (and committed) first, then recorded a range of staged rows per statement (what each
  // one joins and sorts stays one batch) and a range per transaction: the rows a transaction writes stay in
  // memory until its commit (DuckDB held 230 MB of them, and spilled more, with all 1,000,000 in one; five ranges
  // a transaction and ranges of 125,000 peaked higher too; README, Performance).
  const o = await loadOutcomes(warehouse, outcomesTable, outcomesFile);
  const s = warehouse.quoteTable(stage);
  for (const [after, upTo] of counts.ranges()) {
    await warehouse.transaction(async (session) => {
      const range = `o.seq > ${seqBound(after)} AND o.seq <= ${seqBound(upTo)} AND s.seq > ${seqBound(after)} AND s.seq <= ${seqBound(upTo)}`;
      await session.execute(
        `INSERT INTO ${session.quoteTable(summary.resultsTable)} (${RESULT_COLUMNS})
             SELECT $1, $2, $3, $4, s.row_key, o.seq, o.status, o.sf_id, o.created, o.error_code, o.error_message, o.job_id, CAST($5 AS TIMESTAMP)
             FROM ${o} AS o JOIN ${s} AS s ON s.seq = o.seq WHERE ${range}`,
        [summary.runId, summary.name, options.object, options.operation, finishedAt],
      );
      // Batches run in key order, so a key staged twice across two batches ends with the later row.
      await session.execute(
        `DELETE FROM ${snapshot} WHERE name = $1 AND row_key IN (SELECT s.row_key FROM ${o} AS o JOIN ${s} AS s ON s.seq = o.seq WHERE o.status = 'succeeded' AND s.row_key IS NOT NULL AND ${range})`,
        [summary.name],
      );
      await session.execute(
        // The last row sent per key wins; ROW_NUMBER rather than DISTINCT ON, which Snowflake lacks.
        `INSERT INTO ${snapshot} (name, row_key, row_hash, sf_id, run_id)
               SELECT $1, latest.row_key, latest.row_hash, latest.sf_id, $2
               FROM (SELECT s.row_key, s.row_hash, o.sf_id,
                            ROW_NUMBER() OVER (PARTITION BY s.row_key ORDER BY s.seq DESC) AS rn
                     FROM ${o} AS o JOIN ${s} AS s ON s.seq = o.seq
                     WHERE o.status = 'succeeded' AND s.row_key IS NOT NULL AND ${range}) AS latest
               WHERE latest.rn = 1`,
        [summary.name, summary.runId],
      );
    });
  }
}

/**
 * How many outcomes fell in each small range of staging numbers (an array of counters, a few kilobytes for a
 * million rows), so the outcomes are recorded in ranges of at most about `batchRows` outcomes: one range when
 * few rows were sent (a diffed rerun), one per batch when all were.
 */
export class OutcomeCounts {
  private readonly bucketRows: number;
  private readonly counts: Uint32Array;

  constructor(
    private readonly staged: number,
    private readonly batchRows: number,
  ) {
    this.bucketRows = Math.min(1024, batchRows);
    this.counts = new Uint32Array(Math.ceil(staged / this.bucketRows) + 1);
  }

  /** Counts the outcome of staged row `seq` (1-based). */
  add(seq: number): void {
    const bucket = Math.floor((seq - 1) / this.bucketRows);
    if (bucket >= 0 && bucket < this.counts.length) this.counts[bucket] = (this.counts[bucket] ?? 0) + 1;
  }

  /** Ranges `[after, upTo]` of staging numbers (`after < seq <= upTo`) covering every counted outcome, in order. */
  *ranges(): Generator<[number, number]> {
    let start = 0;
    let held = 0;
    for (let bucket = 0; bucket < this.counts.length; bucket++) {
      const count = this.counts[bucket] ?? 0;
      if (count === 0) continue;
      const from = bucket * this.bucketRows;
      if (held > 0 && held + count > this.batchRows) {
        yield [start, from];
        start = from;
        held = 0;
      }
      held += count;
    }
    if (held > 0) yield [start, Math.max(this.staged, start + 1)];
  }
}

/** `mirror`: the records of rows gone from the query since the last run are deleted in Salesforce. */
export async function mirrorDeletes(run: RetlRun, stage: string): Promise<void> {
  const { options, summary } = run;
  const { warehouse } = options;
  const snapshot = warehouse.quoteTable(RETL_SNAPSHOT_TABLE);
  const gone = `SELECT p.row_key, p.sf_id FROM ${snapshot} AS p WHERE p.name = $1 AND p.sf_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${warehouse.quoteTable(stage)} AS s WHERE s.row_key = p.row_key)`;
  const count = Number((await firstRow(warehouse, `SELECT count(*) AS n FROM (${gone}) AS g`, [summary.name])).n ?? 0);
  if (count === 0) return;
  const file = join(run.directory, 'mirror.ndjson');
  async function* records(): AsyncGenerator<{ row: number; record: SalesforceRecord }> {
    let n = 0;
    for await (const row of warehouse.query(`${gone} ORDER BY p.row_key`, [summary.name])) {
      n++;
      yield { row: n, record: { Id: String(row.sf_id) } };
    }
  }
  const result = await sendAndRecord(run, records(), file, 'delete', { ...options, externalIdField: undefined });
  summary.jobs += result.jobs;
  summary.mirrorDeleted = result.succeeded;
  summary.mirrorFailed = result.failed + result.unprocessed;
  const outcomes = uniqueName('_kicksaw_retl_mirror');
  await warehouse.transaction(async (session) => {
    const o = await loadOutcomes(session, outcomes, file);
    await session.execute(
      `INSERT INTO ${session.quoteTable(summary.resultsTable)} (${RESULT_COLUMNS})
       SELECT $1, $2, $3, 'delete', p.row_key, o.seq, o.status, p.sf_id, FALSE, o.error_code, o.error_message, o.job_id, CAST($4 AS TIMESTAMP)
       FROM ${o} AS o JOIN ${snapshot} AS p ON p.name = $2 AND p.sf_id = o.sf_id`,
      [summary.runId, summary.name, options.object, new Date()],
    );
    await session.execute(
      `DELETE FROM ${snapshot} WHERE name = $1 AND sf_id IN (SELECT sf_id FROM ${o} WHERE status = 'succeeded')`,
      [summary.name],
    );
    await session.dropTable(outcomes);
  });
}

/**
 * Runs the ingest and writes each outcome as one NDJSON line to a file as it arrives (flat memory: the
 * outcomes are loaded into the warehouse after the run, when no read stream is open any more).
 */
async function sendAndRecord(
  run: RetlRun,
  records: AsyncIterable<{ row: number; record: SalesforceRecord }>,
  file: string,
  operation: 'insert' | 'update' | 'upsert' | 'delete',
  options: ReverseEtlOptions,
  counts?: OutcomeCounts,
): Promise<IngestSummary> {
  const out = createWriteStream(file);
  const closed = once(out, 'close');
  try {
    const ingestRun = ingest({
      connection: options.connection,
      object: options.object,
      operation,
      ...(options.externalIdField ? { externalIdField: options.externalIdField } : {}),
      records,
      pollIntervalMs: options.pollIntervalMs ?? 1000,
      logger: run.logger,
      ...options.ingest,
      ...(options.onProgress
        ? {
            onProgress: (p) => options.onProgress?.({ object: options.object, phase: 'send', rows: p.rowsProcessed }),
          }
        : {}),
    });
    for await (const outcome of ingestRun) {
      const line: OutcomeLine = {
        seq: outcome.row,
        status: outcome.status,
        // A failed delete may come back without sf__Id: keep the Id that was sent.
        id: outcome.id ?? (typeof outcome.record.Id === 'string' ? outcome.record.Id : null),
        created: outcome.created,
        code: outcome.errors[0]?.statusCode ?? null,
        message: outcome.errors[0]?.message ?? null,
        jobId: outcome.jobId ?? null,
      };
      counts?.add(outcome.row);
      if (!out.write(`${JSON.stringify(line)}\n`)) await once(out, 'drain');
      if (run.report) await run.report.write(outcome as RowOutcome);
    }
    return await ingestRun.summary();
  } finally {
    out.end();
    await closed;
  }
}

/** Creates `table` and loads the outcome file into it; returns the table quoted. */
async function loadOutcomes(session: WarehouseSession, table: string, file: string): Promise<string> {
  await session.createTable(table, OUTCOME_COLUMNS);
  await session.load(
    table,
    OUTCOME_COLUMNS.map((c) => c.name),
    readOutcomes(file),
  );
  return session.quoteTable(table);
}

async function* readOutcomes(file: string): AsyncGenerator<SqlValue[]> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const text of lines) {
    if (!text) continue;
    const o = JSON.parse(text) as OutcomeLine;
    yield [o.seq, o.status, o.id, o.created, o.code, o.message, o.jobId];
  }
}
