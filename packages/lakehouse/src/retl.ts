import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type Logger, type RowOutcome, type SalesforceRecord, silentLogger } from '@kicksaw/core';
import type { ErrorReportOptions, ErrorReportWriter, ReportCounts } from '@kicksaw/error-report';
import { type IngestOptions, ingest } from '@kicksaw/sf-bulk';
import { describeFresh } from './describe.js';
import { LakehouseError } from './errors.js';
import type { LakehouseBaseOptions } from './options.js';
import type { ColumnSpec, SqlValue, Warehouse } from './warehouse.js';

/**
 * The table of reverse ETL snapshots: one row per sync name and key, the hash of what was last sent with success.
 *
 * @example
 * ```ts
 * await warehouse.execute(`DELETE FROM ${warehouse.quoteTable(RETL_SNAPSHOT_TABLE)} WHERE name = $1`, ['Contact:update:Id']); // resend all
 * ```
 */
export const RETL_SNAPSHOT_TABLE = '_kicksaw_retl_snapshot';
/**
 * The default table of reverse ETL results, one row per row sent.
 *
 * @example
 * ```ts
 * warehouse.query(`SELECT * FROM ${warehouse.quoteTable(RETL_RESULTS_TABLE)} WHERE status <> 'succeeded'`);
 * ```
 */
export const RETL_RESULTS_TABLE = '_kicksaw_retl_results';

/**
 * The Salesforce operations reverse ETL runs.
 *
 * @example
 * ```ts
 * const operation: ReverseEtlOperation = 'upsert';
 * ```
 */
export type ReverseEtlOperation = 'insert' | 'update' | 'upsert' | 'delete';

/**
 * Options of {@link reverseEtl}.
 *
 * @example
 * ```ts
 * await reverseEtl({
 *   connection: conn, warehouse, object: 'Account', operation: 'upsert', externalIdField: 'External_Id__c',
 *   sql: 'SELECT "External_Id__c", "Name", "Industry" FROM "accounts_to_push"',
 * } satisfies ReverseEtlOptions);
 * ```
 */
export interface ReverseEtlOptions extends LakehouseBaseOptions {
  object: string;
  operation: ReverseEtlOperation;
  /** A SELECT whose column names are Salesforce field API names (relationship columns `Parent__r.Ext__c` allowed). */
  sql: string;
  /** The external id field of an upsert. */
  externalIdField?: string;
  /**
   * The column that identifies a row for diffing and results: default the external id field (upsert) or `Id`
   * (update, delete). Required for insert. It must be unique in the query.
   */
  key?: string;
  /** The name of this reverse ETL (its snapshot). Default `<object>:<operation>:<key>`. */
  name?: string;
  /** Send every row, not only new and changed ones. Default false. */
  all?: boolean;
  /** Delete in Salesforce the records of rows gone from the query since the last run (needs diffing). Default false. */
  mirror?: boolean;
  /** NULL values set the field to null (`#N/A`). Default false: NULL leaves the field unchanged. */
  clearNulls?: boolean;
  /** Where results go. Default `_kicksaw_retl_results`. */
  resultsTable?: string;
  /**
   * Also write a CSV report of the rows sent, in the `@kicksaw/error-report` layouts: `output` (a path or a
   * stream) gets one line per error of every failed or unprocessed row (`layout: 'default'`, the Python toolkit's
   * `salesforce_object, code, message, upsert_key, upsert_key_value, object_json`, or `'source-row'`), and
   * `includeSuccesses` (a path or a stream) the successful rows. `salesforce_object` is the object and
   * `upsert_key` the key. The file is written (with its header) even when nothing is sent. Default: no report.
   */
  report?: Omit<ErrorReportOptions, 'object' | 'upsertKey'>;
  /** Extra options of sf-bulk's `ingest` (job sizes, retries, API choice). */
  ingest?: Partial<
    Pick<
      IngestOptions,
      'maxBytesPerJob' | 'maxRowsPerJob' | 'maxConcurrentJobs' | 'retry' | 'api' | 'restMaxRows' | 'maxPollIntervalMs'
    >
  >;
}

/**
 * What {@link reverseEtl} did. `read` = `sent` + `unchanged`; `sent` = `succeeded` + `failed` + `unprocessed`.
 *
 * @example
 * ```ts
 * const { read, sent, unchanged, succeeded, failed, mirrorDeleted }: ReverseEtlSummary = await reverseEtl(options);
 * ```
 */
export interface ReverseEtlSummary {
  runId: string;
  name: string;
  object: string;
  operation: ReverseEtlOperation;
  /** Rows the query returned. */
  read: number;
  /** Rows not sent because their values were sent before with success (diffing). */
  unchanged: number;
  sent: number;
  succeeded: number;
  created: number;
  failed: number;
  unprocessed: number;
  /** Rows whose key was NULL (sent, never snapshotted). */
  nullKeys: number;
  /** Records deleted because their rows left the query (`mirror`). */
  mirrorDeleted: number;
  mirrorFailed: number;
  /** Bulk jobs created (0 when nothing was sent). */
  jobs: number;
  resultsTable: string;
  /** The CSV report's counts, when `report` was asked for. */
  report?: ReportCounts;
}

function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}${randomUUID().slice(0, 6)}`;
}

/** A warehouse value as Salesforce takes it in a Bulk CSV. */
function toSalesforceValue(value: SqlValue): string | number | boolean | null {
  if (value === null) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** Hash of the mapped values: field names and values in column order. */
function hashRecord(record: SalesforceRecord): string {
  return createHash('sha1').update(JSON.stringify(record)).digest('base64').slice(0, 27);
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

/**
 * Sends a warehouse query's rows to Salesforce (`insert`, `update`, `upsert`, `delete`) through sf-bulk's
 * `ingest`, so every row gets exactly one outcome matched by content. Rows are streamed from the warehouse in
 * key order (never LIMIT/OFFSET, never collected). With diffing (the default) a snapshot keeps the key and a
 * hash of the values last sent with success, and only new and changed rows are sent; failed rows are sent
 * again next run; `mirror` deletes the records of rows that left the query; `all` sends everything. NULL
 * leaves a field unchanged unless `clearNulls`. Each row's result (key, status, Salesforce id, error,
 * job id, run id) lands in the results table. No job is created when nothing is to be sent.
 *
 * @example
 * ```ts
 * const summary = await reverseEtl({
 *   connection: conn, warehouse, object: 'Contact', operation: 'update',
 *   sql: 'SELECT "Id", "Title" FROM "contact_titles"',
 * });
 * console.log(`${summary.sent} sent, ${summary.unchanged} unchanged, ${summary.failed} failed`);
 * ```
 */
export async function reverseEtl(options: ReverseEtlOptions): Promise<ReverseEtlSummary> {
  const logger: Logger = options.logger ?? silentLogger;
  const { warehouse, operation } = options;
  const key =
    options.key ?? (operation === 'upsert' ? options.externalIdField : operation === 'insert' ? undefined : 'Id');
  if (!key) {
    throw new LakehouseError(
      operation === 'upsert'
        ? 'reverse ETL upsert needs externalIdField'
        : 'reverse ETL insert needs key: a column of the query that identifies each row (e.g. the warehouse primary key)',
      { code: 'RETL_NO_KEY' },
    );
  }
  if (options.mirror && options.all) {
    throw new LakehouseError('mirror needs diffing: drop all', { code: 'RETL_BAD_OPTIONS' });
  }
  const name = options.name ?? `${options.object}:${operation}:${key}`;
  const runId = randomUUID();
  const resultsTable = options.resultsTable ?? RETL_RESULTS_TABLE;
  const q = (n: string) => warehouse.quoteIdentifier(n);
  const summary: ReverseEtlSummary = {
    runId,
    name,
    object: options.object,
    operation,
    read: 0,
    unchanged: 0,
    sent: 0,
    succeeded: 0,
    created: 0,
    failed: 0,
    unprocessed: 0,
    nullKeys: 0,
    mirrorDeleted: 0,
    mirrorFailed: 0,
    jobs: 0,
    resultsTable,
  };

  await ensureTables(warehouse, resultsTable);
  const stage = uniqueName('_kicksaw_retl_stage');
  const outcomesTable = uniqueName('_kicksaw_retl_outcomes');
  const directory = await mkdtemp(join(tmpdir(), 'kicksaw-retl-'));
  // Loaded only when a report is asked for: the package's S3 half needs the AWS SDK, which a sync does not.
  const report: ErrorReportWriter | undefined = options.report
    ? (await import('@kicksaw/error-report')).createErrorReport({
        ...options.report,
        object: options.object,
        upsertKey: key,
      })
    : undefined;
  let failed = true;
  try {
    // 1) The query's rows, in key order, into a staging table with their hash and payload.
    await warehouse.createTable(stage, [
      { name: 'seq', type: { kind: 'integer' } },
      { name: 'row_key', type: { kind: 'text' } },
      { name: 'row_hash', type: { kind: 'text' } },
      { name: 'payload', type: { kind: 'text' } },
    ]);
    options.onProgress?.({ object: options.object, phase: 'read', rows: 0 });
    const signal = options.signal;
    const clearNulls = options.clearNulls === true;
    let keyMissing = false;
    // Columns that are not sent: the key of an insert when it is no field of the object (a warehouse key),
    // and everything but Id for a delete.
    let sendKey = true;
    if (operation === 'insert') {
      const describe = await describeFresh(options.connection, options.object);
      sendKey = describe.fields.some((f) => f.name.toLowerCase() === (key as string).toLowerCase());
    }
    async function* staged(): AsyncGenerator<SqlValue[]> {
      let seq = 0;
      for await (const row of warehouse.query(
        `SELECT * FROM (${options.sql}) AS kicksaw_q ORDER BY ${q(key as string)}`,
      )) {
        signal?.throwIfAborted();
        if (seq === 0 && !((key as string) in row)) {
          keyMissing = true;
          return;
        }
        seq++;
        const record: SalesforceRecord = {};
        for (const [field, value] of Object.entries(row)) {
          if (operation === 'delete' ? field.toLowerCase() !== 'id' : !sendKey && field === key) continue;
          const converted = toSalesforceValue(value);
          // NULL: left unchanged (an empty cell) unless clearNulls (#N/A).
          record[field] = converted === null ? (clearNulls ? null : '') : converted;
        }
        const keyValue = row[key as string];
        if (keyValue === null || keyValue === undefined) summary.nullKeys++;
        yield [
          seq,
          keyValue === null || keyValue === undefined ? null : String(toSalesforceValue(keyValue)),
          hashRecord(record),
          JSON.stringify(record),
        ];
      }
      summary.read = seq;
    }
    await warehouse.load(stage, ['seq', 'row_key', 'row_hash', 'payload'], staged());
    if (keyMissing) {
      throw new LakehouseError(
        `The query has no column "${key}" (the key): select it, or set key to one of its columns`,
        {
          code: 'RETL_NO_KEY',
        },
      );
    }
    options.onProgress?.({ object: options.object, phase: 'read', rows: summary.read });

    // 2) What to send: every row, or rows new or changed since the last success.
    const snapshot = warehouse.quoteTable(RETL_SNAPSHOT_TABLE);
    const changed = options.all
      ? `SELECT s.seq, s.payload FROM ${warehouse.quoteTable(stage)} AS s`
      : `SELECT s.seq, s.payload FROM ${warehouse.quoteTable(stage)} AS s LEFT JOIN ${snapshot} AS p ON p.name = $1 AND p.row_key = s.row_key WHERE s.row_key IS NULL OR p.row_key IS NULL OR p.row_hash <> s.row_hash`;
    const params = options.all ? [] : [name];
    let toSend = 0;
    for await (const row of warehouse.query(`SELECT count(*) AS n FROM (${changed}) AS c`, params))
      toSend = Number(row.n);
    summary.unchanged = summary.read - toSend;

    const outcomesFile = join(directory, 'outcomes.ndjson');
    if (toSend > 0) {
      options.onProgress?.({ object: options.object, phase: 'send', rows: 0 });
      async function* records(): AsyncGenerator<{ row: number; record: SalesforceRecord }> {
        for await (const row of warehouse.query(`${changed} ORDER BY s.seq`, params)) {
          signal?.throwIfAborted();
          yield { row: Number(row.seq), record: JSON.parse(String(row.payload)) as SalesforceRecord };
        }
      }
      const ingestSummary = await sendAndRecord(options, records(), outcomesFile, operation, logger, report);
      summary.jobs = ingestSummary.jobs;
      summary.sent = ingestSummary.input;
      summary.succeeded = ingestSummary.succeeded;
      summary.created = ingestSummary.created ?? 0;
      summary.failed = ingestSummary.failed;
      summary.unprocessed = ingestSummary.unprocessed + ingestSummary.skipped;

      // 3) Outcomes into the results table, and successes into the snapshot, in one transaction.
      options.onProgress?.({ object: options.object, phase: 'results', rows: summary.sent });
      await warehouse.transaction(async (session) => {
        await session.createTable(outcomesTable, OUTCOME_COLUMNS);
        await session.load(
          outcomesTable,
          OUTCOME_COLUMNS.map((c) => c.name),
          readOutcomes(outcomesFile),
        );
        const o = session.quoteTable(outcomesTable);
        const s = session.quoteTable(stage);
        await session.execute(
          `INSERT INTO ${session.quoteTable(resultsTable)} (run_id, name, object_name, operation, row_key, seq, status, sf_id, created, error_code, error_message, job_id, finished_at)
           SELECT $1, $2, $3, $4, s.row_key, o.seq, o.status, o.sf_id, o.created, o.error_code, o.error_message, o.job_id, CAST($5 AS TIMESTAMP)
           FROM ${o} AS o JOIN ${s} AS s ON s.seq = o.seq`,
          [runId, name, options.object, operation, new Date()],
        );
        await session.execute(
          `DELETE FROM ${snapshot} WHERE name = $1 AND row_key IN (SELECT s.row_key FROM ${o} AS o JOIN ${s} AS s ON s.seq = o.seq WHERE o.status = 'succeeded' AND s.row_key IS NOT NULL)`,
          [name],
        );
        await session.execute(
          // The last row sent per key wins; ROW_NUMBER rather than DISTINCT ON, which Snowflake lacks.
          `INSERT INTO ${snapshot} (name, row_key, row_hash, sf_id, run_id)
             SELECT $1, latest.row_key, latest.row_hash, latest.sf_id, $2
             FROM (SELECT s.row_key, s.row_hash, o.sf_id,
                          ROW_NUMBER() OVER (PARTITION BY s.row_key ORDER BY s.seq DESC) AS rn
                   FROM ${o} AS o JOIN ${s} AS s ON s.seq = o.seq
                   WHERE o.status = 'succeeded' AND s.row_key IS NOT NULL) AS latest
             WHERE latest.rn = 1`,
          [name, runId],
        );
        await session.dropTable(outcomesTable);
      });
    } else {
      logger.info('Nothing to send: no job created', { name, read: summary.read });
    }

    // 4) mirror: records of rows gone from the query are deleted in Salesforce.
    if (options.mirror) await mirrorDeletes(options, summary, stage, directory, logger, report);
    failed = false;
  } finally {
    // The report is ended on failure too, so what was written so far is flushed and the file closed.
    if (report) {
      const counts = await report.end().catch((error: unknown) => {
        if (!failed) throw error;
        return undefined;
      });
      if (counts) summary.report = counts;
    }
    await warehouse.dropTable(stage).catch(() => undefined);
    await warehouse.dropTable(outcomesTable).catch(() => undefined);
    await rm(directory, { recursive: true, force: true });
  }
  options.onProgress?.({ object: options.object, phase: 'done', rows: summary.sent });
  logger.info('Reverse ETL done', { ...summary });
  return summary;
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

async function ensureTables(warehouse: Warehouse, resultsTable: string): Promise<void> {
  if (!(await warehouse.listColumns(RETL_SNAPSHOT_TABLE))) {
    await warehouse.createTable(RETL_SNAPSHOT_TABLE, [
      { name: 'name', type: { kind: 'text' } },
      { name: 'row_key', type: { kind: 'text' } },
      { name: 'row_hash', type: { kind: 'text' } },
      { name: 'sf_id', type: { kind: 'id' } },
      { name: 'run_id', type: { kind: 'text' } },
    ]);
  }
  if (!(await warehouse.listColumns(resultsTable))) {
    await warehouse.createTable(resultsTable, [
      { name: 'run_id', type: { kind: 'text' } },
      { name: 'name', type: { kind: 'text' } },
      { name: 'object_name', type: { kind: 'text' } },
      { name: 'operation', type: { kind: 'text' } },
      { name: 'row_key', type: { kind: 'text' } },
      { name: 'seq', type: { kind: 'integer' } },
      { name: 'status', type: { kind: 'text' } },
      { name: 'sf_id', type: { kind: 'id' } },
      { name: 'created', type: { kind: 'boolean' } },
      { name: 'error_code', type: { kind: 'text' } },
      { name: 'error_message', type: { kind: 'text' } },
      { name: 'job_id', type: { kind: 'id' } },
      { name: 'finished_at', type: { kind: 'timestamp' } },
    ]);
  }
}

/**
 * Runs the ingest and writes each outcome as one NDJSON line to a file as it arrives (flat memory: the
 * outcomes are loaded into the warehouse after the run, when no read stream is open any more).
 */
async function sendAndRecord(
  options: ReverseEtlOptions,
  records: AsyncIterable<{ row: number; record: SalesforceRecord }>,
  file: string,
  operation: 'insert' | 'update' | 'upsert' | 'delete',
  logger: Logger,
  report: ErrorReportWriter | undefined,
) {
  const out = createWriteStream(file);
  const closed = once(out, 'close');
  try {
    const run = ingest({
      connection: options.connection,
      object: options.object,
      operation,
      ...(options.externalIdField ? { externalIdField: options.externalIdField } : {}),
      records,
      pollIntervalMs: options.pollIntervalMs ?? 1000,
      logger,
      ...options.ingest,
      ...(options.onProgress
        ? {
            onProgress: (p) => options.onProgress?.({ object: options.object, phase: 'send', rows: p.rowsProcessed }),
          }
        : {}),
    });
    for await (const outcome of run) {
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
      if (!out.write(`${JSON.stringify(line)}\n`)) await once(out, 'drain');
      if (report) await report.write(outcome as RowOutcome);
    }
    return await run.summary();
  } finally {
    out.end();
    await closed;
  }
}

async function* readOutcomes(file: string): AsyncGenerator<SqlValue[]> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const text of lines) {
    if (!text) continue;
    const o = JSON.parse(text) as OutcomeLine;
    yield [o.seq, o.status, o.id, o.created, o.code, o.message, o.jobId];
  }
}

async function mirrorDeletes(
  options: ReverseEtlOptions,
  summary: ReverseEtlSummary,
  stage: string,
  directory: string,
  logger: Logger,
  report: ErrorReportWriter | undefined,
): Promise<void> {
  const { warehouse } = options;
  const snapshot = warehouse.quoteTable(RETL_SNAPSHOT_TABLE);
  const gone = `SELECT p.row_key, p.sf_id FROM ${snapshot} AS p WHERE p.name = $1 AND p.sf_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${warehouse.quoteTable(stage)} AS s WHERE s.row_key = p.row_key)`;
  let count = 0;
  for await (const row of warehouse.query(`SELECT count(*) AS n FROM (${gone}) AS g`, [summary.name]))
    count = Number(row.n);
  if (count === 0) return;
  const file = join(directory, 'mirror.ndjson');
  async function* records(): AsyncGenerator<{ row: number; record: SalesforceRecord }> {
    let n = 0;
    for await (const row of warehouse.query(`${gone} ORDER BY p.row_key`, [summary.name])) {
      n++;
      yield { row: n, record: { Id: String(row.sf_id) } };
    }
  }
  const result = await sendAndRecord(
    { ...options, externalIdField: undefined } as ReverseEtlOptions,
    records(),
    file,
    'delete',
    logger,
    report,
  );
  summary.jobs += result.jobs;
  summary.mirrorDeleted = result.succeeded;
  summary.mirrorFailed = result.failed + result.unprocessed;
  const outcomes = uniqueName('_kicksaw_retl_mirror');
  await warehouse.transaction(async (session) => {
    await session.createTable(outcomes, OUTCOME_COLUMNS);
    await session.load(
      outcomes,
      OUTCOME_COLUMNS.map((c) => c.name),
      readOutcomes(file),
    );
    const o = session.quoteTable(outcomes);
    await session.execute(
      `INSERT INTO ${session.quoteTable(summary.resultsTable)} (run_id, name, object_name, operation, row_key, seq, status, sf_id, created, error_code, error_message, job_id, finished_at)
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
