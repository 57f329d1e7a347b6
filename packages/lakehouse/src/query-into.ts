import { Readable } from 'node:stream';
import { silentLogger } from '@kicksaw/core';
import { readCsv } from '@kicksaw/csv';
import { query, refreshSession, SalesforceApiError } from '@kicksaw/sf-bulk';
import { describeFresh } from './describe.js';
import { LakehouseError } from './errors.js';
import type { LakehouseBaseOptions } from './options.js';
import { columnTypeOf, toSqlValue } from './types.js';
import type { ColumnSpec, SqlValue } from './warehouse.js';
import { uniqueName } from './work-tables.js';

/**
 * Options of {@link queryIntoTable}.
 *
 * @example
 * ```ts
 * await queryIntoTable({ connection: conn, warehouse, soql: 'SELECT Id, Name, Account.Name FROM Contact', table: 'contacts' } satisfies QueryIntoTableOptions);
 * ```
 */
export interface QueryIntoTableOptions extends LakehouseBaseOptions {
  /** Any SOQL a Bulk API 2.0 query takes (no aggregates, no subqueries). */
  soql: string;
  table: string;
  /** `replace` (default): a new table swapped in at the end; `append`: rows added to the table (created when missing). */
  mode?: 'replace' | 'append';
  /** queryAll: deleted and archived rows too. Default false. */
  all?: boolean;
  /** `auto` (default): REST for small results, Bulk API 2.0 above. */
  api?: 'auto' | 'bulk' | 'rest';
  /** Rows per Bulk result page (locator paging). Default 50,000. */
  pageSize?: number;
}

/**
 * What {@link queryIntoTable} did.
 *
 * @example
 * ```ts
 * const { table, rows, columns }: QueryIntoTableSummary = await queryIntoTable(options);
 * ```
 */
export interface QueryIntoTableSummary {
  table: string;
  rows: number;
  columns: string[];
  mode: 'replace' | 'append';
}

/**
 * The select list of a SOQL query: plain and dotted field names, in order.
 *
 * @example
 * ```ts
 * selectedFields('SELECT Id, Account.Name FROM Contact'); // ['Id', 'Account.Name']
 * ```
 */
export function selectedFields(soqlText: string): string[] {
  const match = /^\s*SELECT\s+([\s\S]+?)\s+FROM\s+([A-Za-z][A-Za-z0-9_]*)/i.exec(soqlText);
  if (!match) throw new LakehouseError('The query must be SELECT <fields> FROM <object>', { code: 'SOQL_UNSUPPORTED' });
  const fields = (match[1] as string).split(',').map((f) => f.trim());
  for (const field of fields) {
    if (!/^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$/.test(field)) {
      throw new LakehouseError(
        `"${field}" cannot be a column: Bulk queries take plain and relationship fields (no functions, aliases or subqueries)`,
        { code: 'SOQL_UNSUPPORTED' },
      );
    }
  }
  return fields;
}

/**
 * Runs any SOQL through REST or a Bulk API 2.0 query job (result pages followed by locator, streamed) and
 * writes the rows into a table: typed by the object's describe for its own fields, text for relationship
 * fields. `replace` builds a new table and swaps it in at the end; `append` adds rows.
 *
 * @example
 * ```ts
 * const summary = await queryIntoTable({
 *   connection: conn, warehouse, table: 'open_cases',
 *   soql: "SELECT Id, Subject, Account.Name, CreatedDate FROM Case WHERE IsClosed = false",
 * });
 * console.log(`${summary.rows} rows in ${summary.table}`);
 * ```
 */
export async function queryIntoTable(options: QueryIntoTableOptions): Promise<QueryIntoTableSummary> {
  const logger = options.logger ?? silentLogger;
  const { warehouse } = options;
  const fields = selectedFields(options.soql);
  const object = /\bFROM\s+([A-Za-z][A-Za-z0-9_]*)/i.exec(options.soql)?.[1] as string;
  options.onProgress?.({ object: options.table, phase: 'describe', rows: 0 });
  const describe = await describeFresh(options.connection, object);
  const byName = new Map(describe.fields.map((f) => [f.name.toLowerCase(), f]));
  const columns: ColumnSpec[] = fields.map((field) => {
    const described = field.includes('.') ? undefined : byName.get(field.toLowerCase());
    return {
      name: described?.name ?? field,
      type: (described && columnTypeOf(described, true)) ?? { kind: 'text' },
    };
  });
  const mode = options.mode ?? 'replace';
  const existing = await warehouse.listColumns(options.table);
  const target =
    mode === 'replace' || !existing ? uniqueName(`${options.table}__kicksaw_new`).slice(0, 60) : options.table;
  if (target !== options.table) await warehouse.createTable(target, columns);
  else {
    const have = new Set(existing?.map((c) => c.name));
    const missing = columns.filter((c) => !have.has(c.name));
    if (missing.length > 0) await warehouse.addColumns(options.table, missing);
  }
  let rows = 0;
  try {
    const records = query(options.connection, options.soql, {
      all: options.all === true,
      api: options.api ?? 'auto',
      pageSize: options.pageSize ?? 50_000,
      pollIntervalMs: options.pollIntervalMs ?? 500,
      logger,
    });
    const signal = options.signal;
    const onProgress = options.onProgress;
    async function* values(): AsyncGenerator<SqlValue[]> {
      for await (const record of records) {
        signal?.throwIfAborted();
        const lower = new Map(Object.entries(record).map(([k, v]) => [k.toLowerCase(), v]));
        rows++;
        if (onProgress && rows % 10_000 === 0) onProgress({ object: options.table, phase: 'read', rows });
        yield columns.map((c, i) => toSqlValue(lower.get((fields[i] as string).toLowerCase()), c.type));
      }
    }
    await warehouse.load(
      target,
      columns.map((c) => c.name),
      values(),
    );
    if (target !== options.table) await warehouse.transaction((session) => session.swapTable(target, options.table));
  } finally {
    if (target !== options.table) await warehouse.dropTable(target).catch(() => undefined);
  }
  options.onProgress?.({ object: options.table, phase: 'done', rows });
  return { table: options.table, rows, columns: columns.map((c) => c.name), mode };
}

/**
 * A Bulk API 2.0 job as Salesforce lists it.
 *
 * @example
 * ```ts
 * const jobs: BulkJobInfo[] = await listBulkJobs(conn, { kind: 'ingest' });
 * ```
 */
export interface BulkJobInfo {
  id: string;
  operation: string;
  object: string;
  state: string;
  createdDate: string;
  jobType?: string;
  numberRecordsProcessed?: number;
  numberRecordsFailed?: number;
  errorMessage?: string;
  [key: string]: unknown;
}

/**
 * Lists Bulk API 2.0 ingest or query jobs (all pages).
 *
 * @example
 * ```ts
 * for (const job of await listBulkJobs(conn, { kind: 'query' })) console.log(job.id, job.state);
 * ```
 */
export async function listBulkJobs(
  connection: LakehouseBaseOptions['connection'],
  options: { kind: 'ingest' | 'query' },
): Promise<BulkJobInfo[]> {
  const jobs: BulkJobInfo[] = [];
  let url: string | undefined = `/jobs/${options.kind}`;
  while (url) {
    const page = (await connection.request(url)) as unknown as {
      records: BulkJobInfo[];
      nextRecordsUrl?: string | null;
      done?: boolean;
    };
    jobs.push(...page.records);
    url = page.done === false && page.nextRecordsUrl ? page.nextRecordsUrl : undefined;
  }
  return jobs;
}

/**
 * One Bulk API 2.0 job's status (`GET jobs/{kind}/{id}`).
 *
 * @example
 * ```ts
 * const job = await getBulkJob(conn, { kind: 'ingest', id: '750...' });
 * console.log(job.state, job.numberRecordsProcessed, job.numberRecordsFailed);
 * ```
 */
export async function getBulkJob(
  connection: LakehouseBaseOptions['connection'],
  job: { kind: 'ingest' | 'query'; id: string },
): Promise<BulkJobInfo> {
  return (await connection.request(`/jobs/${job.kind}/${checkJobId(job.id)}`)) as unknown as BulkJobInfo;
}

/**
 * Aborts an unfinished Bulk API 2.0 job (a finished one is refused by Salesforce with INVALIDJOBSTATE).
 *
 * @example
 * ```ts
 * await abortBulkJob(conn, { kind: 'query', id: '750...' });
 * ```
 */
export async function abortBulkJob(
  connection: LakehouseBaseOptions['connection'],
  job: { kind: 'ingest' | 'query'; id: string },
): Promise<BulkJobInfo> {
  return (await connection.request({
    method: 'PATCH',
    url: `/jobs/${job.kind}/${checkJobId(job.id)}`,
    body: JSON.stringify({ state: 'Aborted' }),
    headers: { 'Content-Type': 'application/json' },
  })) as unknown as BulkJobInfo;
}

/**
 * Deletes a finished Bulk API 2.0 job and its results (read them first: they are gone afterwards).
 *
 * @example
 * ```ts
 * await deleteBulkJob(conn, { kind: 'ingest', id: '750...' });
 * ```
 */
export async function deleteBulkJob(
  connection: LakehouseBaseOptions['connection'],
  job: { kind: 'ingest' | 'query'; id: string },
): Promise<void> {
  await connection.request({ method: 'DELETE', url: `/jobs/${job.kind}/${checkJobId(job.id)}` });
}

function checkJobId(id: string): string {
  if (!/^[a-zA-Z0-9]{15,18}$/.test(id))
    throw new LakehouseError(`"${id}" is not a Bulk job id`, { code: 'BAD_JOB_ID' });
  return id;
}

/**
 * Options of {@link jobResultsIntoTable}.
 *
 * @example
 * ```ts
 * await jobResultsIntoTable({ connection: conn, warehouse, jobId: '750...', table: 'job_results' } satisfies JobResultsIntoTableOptions);
 * ```
 */
export interface JobResultsIntoTableOptions extends Omit<LakehouseBaseOptions, 'pollIntervalMs'> {
  /** A Bulk API 2.0 ingest job id (`750...`). For query jobs, use {@link queryIntoTable}. */
  jobId: string;
  table: string;
  /** `replace` (default) or `append`. */
  mode?: 'replace' | 'append';
}

/**
 * What {@link jobResultsIntoTable} did.
 *
 * @example
 * ```ts
 * const { succeeded, failed, unprocessed }: JobResultsIntoTableSummary = await jobResultsIntoTable(options);
 * ```
 */
export interface JobResultsIntoTableSummary {
  table: string;
  jobId: string;
  succeeded: number;
  failed: number;
  unprocessed: number;
  columns: string[];
}

/**
 * Writes an ingest job's results (successful, failed and unprocessed rows, each with the columns it was sent
 * with) into one table: `job_id`, `result` (`succeeded` | `failed` | `unprocessed`), `sf_id`, `sf_created`,
 * `sf_error`, then the job's own columns as text. Each result set is streamed from Salesforce.
 *
 * @example
 * ```ts
 * const summary = await jobResultsIntoTable({ connection: conn, warehouse, jobId, table: 'contact_load_results' });
 * console.log(summary.failed, 'rows failed');
 * ```
 */
export async function jobResultsIntoTable(options: JobResultsIntoTableOptions): Promise<JobResultsIntoTableSummary> {
  const { warehouse, connection } = options;
  if (!/^[a-zA-Z0-9]{15,18}$/.test(options.jobId)) {
    throw new LakehouseError(`"${options.jobId}" is not a Bulk job id`, { code: 'BAD_JOB_ID' });
  }
  const info = (await connection.request(`/jobs/ingest/${options.jobId}`)) as unknown as BulkJobInfo;
  const sets = [
    ['succeeded', 'successfulResults'],
    ['failed', 'failedResults'],
    ['unprocessed', 'unprocessedrecords'],
  ] as const;
  const fixed = ['job_id', 'result', 'sf_id', 'sf_created', 'sf_error'];
  // The job's columns: the header of the first non-empty result set.
  let jobColumns: string[] | undefined;
  for (const [, resource] of sets) {
    const reader = readCsv(await download(connection, `jobs/ingest/${options.jobId}/${resource}`), { delimiter: ',' });
    const header = await reader.header().catch(() => undefined);
    await reader.close?.();
    if (header && header.length > 0) {
      jobColumns = header.filter((h) => !h.startsWith('sf__'));
      break;
    }
  }
  const names = [...fixed, ...(jobColumns ?? []).filter((c) => !fixed.includes(c))];
  const columns: ColumnSpec[] = names.map((name) => ({
    name,
    type: name === 'sf_created' ? { kind: 'boolean' } : name === 'sf_id' ? { kind: 'id' } : { kind: 'text' },
  }));
  const mode = options.mode ?? 'replace';
  const existing = await warehouse.listColumns(options.table);
  const target =
    mode === 'replace' || !existing ? uniqueName(`${options.table}__kicksaw_new`).slice(0, 60) : options.table;
  if (target !== options.table) await warehouse.createTable(target, columns);
  const counts = { succeeded: 0, failed: 0, unprocessed: 0 };
  try {
    for (const [result, resource] of sets) {
      const reader = readCsv(await download(connection, `jobs/ingest/${options.jobId}/${resource}`), {
        delimiter: ',',
      });
      async function* values(): AsyncGenerator<SqlValue[]> {
        for await (const item of reader) {
          if ('problem' in item) continue;
          const r = item.record;
          counts[result]++;
          yield [
            info.id,
            result,
            r.sf__Id || null,
            r.sf__Created === undefined ? null : r.sf__Created === 'true',
            r.sf__Error || null,
            ...names.slice(fixed.length).map((c) => r[c] ?? null),
          ];
        }
      }
      await warehouse.load(target, names, values());
    }
    if (target !== options.table) await warehouse.transaction((session) => session.swapTable(target, options.table));
  } finally {
    if (target !== options.table) await warehouse.dropTable(target).catch(() => undefined);
  }
  return { table: options.table, jobId: info.id, ...counts, columns: names };
}

/**
 * Streams a GET of the REST API (jsforce's `request` would hold the whole body in memory). A 401 (the session
 * expired, e.g. between the result sets of a long download) renews the session through jsforce's own refresh
 * (the login the connection was opened with) and asks again. Written here because sf-bulk keeps its renewing
 * fetch internal; the renewal itself is jsforce's, as sf-bulk's is.
 */
async function download(connection: LakehouseBaseOptions['connection'], path: string): Promise<Readable> {
  for (let renewals = 0; ; renewals++) {
    const url = `${connection.instanceUrl}/services/data/v${connection.version}/${path}`;
    const token = connection.accessToken;
    const since = Date.now();
    const response = await fetch(url, {
      headers: { Authorization: `Bearer ${token}`, Accept: 'text/csv' },
    });
    if (response.status === 401 && renewals < 3) {
      await response.body?.cancel();
      await renewSession(connection, token, since, path);
      continue;
    }
    if (response.status === 204 || !response.body) return Readable.from([]);
    if (!response.ok) {
      throw new LakehouseError(`GET ${path} answered ${response.status}: ${(await response.text()).slice(0, 300)}`, {
        code: response.status === 401 ? 'SF_SESSION_EXPIRED' : 'SF_REQUEST_FAILED',
      });
    }
    return Readable.fromWeb(response.body as never);
  }
}

/** Renews an expired session through sf-bulk's `refreshSession`, saying what to do when this connection cannot. */
async function renewSession(
  connection: LakehouseBaseOptions['connection'],
  token: string | null | undefined,
  since: number,
  path: string,
): Promise<void> {
  try {
    await refreshSession(connection, token, since);
  } catch (error) {
    if (!(error instanceof SalesforceApiError && error.status === 401)) throw error;
    throw new LakehouseError(
      `GET ${path}: the Salesforce session expired (401) and this connection cannot renew it. Connect with a login it can repeat (username and password, client credentials, JWT or a refresh token; see @kicksaw/sf-bulk connect) instead of a bare access token.`,
      { code: 'SF_SESSION_EXPIRED', cause: error },
    );
  }
}
