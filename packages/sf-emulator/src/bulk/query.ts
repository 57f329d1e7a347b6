import { setImmediate as nextTick } from 'node:timers/promises';
import type { OrgRecord } from '../contract.js';
import { STRING_VALUE_TYPES } from '../schema/compile.js';
import type { ApiRequest, EmulatorContext, JobRoute, QueryJobs } from '../server/context.js';
import {
  ApiError,
  drainedOrClosed,
  methodNotAllowed,
  notFound,
  readJsonObject,
  sendEmpty,
  sendJson,
} from '../server/http.js';
import type { BulkQueryRows } from '../soql/engine.js';
import { CsvByteWriter, DELIMITERS, formatCsvValue, quote } from './csv.js';
import { delimiterName, findJob, jobInfoHead, makeId, routeJobs, sendJobPage } from './jobs.js';

type QueryState = 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Failed' | 'Aborted';

interface QueryJob {
  id: string;
  operation: 'query' | 'queryAll';
  object: string;
  query: string;
  createdById: string;
  createdDate: number;
  systemModstamp: number;
  state: QueryState;
  apiVersion: number;
  lineEnding: 'LF' | 'CRLF';
  columnDelimiter: string;
  result?: BulkQueryRows;
  /** Rows of a default-sized page (no maxRecords), estimated from the first rows' CSV size. */
  defaultPage?: number;
  /** The job's compiled CSV row writer (made at the first results request). */
  writeRow?: RowWriter;
  errorMessage?: string;
  processingTime: number;
}

/** About the CSV size of a default page (no `maxRecords`): large, like Salesforce's (which also caps pages by size). */
const DEFAULT_PAGE_BYTES = 100 * 1024 * 1024;
/** Response body pieces are written in buffers of this size. */
const WRITE_CHUNK_BYTES = 256 * 1024;

/** A column's CSV writer: always quoted, datetimes with `Z`, nulls empty. */
function cellWriter(type: string): (value: unknown) => string {
  if (type === 'datetime') {
    return (value) => {
      if (value === null || value === undefined) return '""';
      const text = String(value);
      return text.endsWith('+0000') ? `"${text.slice(0, -5)}Z"` : quote(formatCsvValue(value));
    };
  }
  return (value) => {
    if (value === null || value === undefined) return '""';
    if (typeof value === 'string') return value.indexOf('"') === -1 ? `"${value}"` : quote(value);
    if (typeof value === 'number' || typeof value === 'boolean') return `"${value}"`;
    return quote(formatCsvValue(value));
  };
}

const FINISHED: QueryState[] = ['JobComplete', 'Failed', 'Aborted'];

/** Writes one record's CSV line (line ending included) into a {@link CsvByteWriter}. */
export type RowWriter = (record: OrgRecord, out: CsvByteWriter) => void;

/**
 * Compiles the CSV line of a record for a job's columns into one function that writes bytes (a results page of a
 * million rows calls it a million times: no per-cell closure calls or loops, no string per line). A plain field of
 * the queried object is read inline and written by its type; parent paths and formulas go through the engine's
 * column reader and the string writer of their type.
 */
export function rowWriter(result: BulkQueryRows, delimiter: string): RowWriter {
  const parts: string[] = [];
  const separator = delimiter.charCodeAt(0);
  result.columns.forEach((_column, index) => {
    const type = result.types[index]!;
    const direct = result.direct[index];
    if (index > 0) parts.push(`w.byte(${separator});`);
    if (direct === undefined) {
      parts.push(`w.text(writers[${index}](cells[${index}](r)));`);
      return;
    }
    const read = `v = r[${JSON.stringify(direct)}];`;
    if (STRING_VALUE_TYPES.has(type)) {
      parts.push(`${read} if (v == null) w.empty(); else if (typeof v === 'string') w.quoted(v); else w.value(v);`);
    } else if (type === 'datetime') {
      parts.push(
        `${read} if (v == null) w.empty(); else if (typeof v !== 'string' || !w.dateTime(v)) w.text(dateTime(v));`,
      );
    } else if (type === 'boolean' || type === 'int' || type === 'double' || type === 'currency' || type === 'percent') {
      parts.push(
        `${read} if (v == null) w.empty(); else if (typeof v === 'number' || typeof v === 'boolean') w.scalar(v); else w.value(v);`,
      );
    } else {
      parts.push(`w.text(writers[${index}](${read.slice(4, -1)}));`);
    }
  });
  if (parts.length === 0) parts.push('w.empty();');
  const make = new Function(
    'cells',
    'writers',
    'dateTime',
    `return (r, w) => { let v; ${parts.join(' ')} w.eol(); };`,
  ) as (
    cells: BulkQueryRows['cells'],
    writers: Array<(value: unknown) => string>,
    dateTime: (value: unknown) => string,
  ) => RowWriter;
  return make(result.cells, result.types.map(cellWriter), cellWriter('datetime'));
}

/** The Bulk API 2.0 query jobs of the emulator. */
export class QueryJobStore implements QueryJobs {
  readonly jobs = new Map<string, QueryJob>();
  private created = 0;

  count(): number {
    return this.created;
  }

  /** `jobs/query[/{id}[/results]]`. */
  route: JobRoute = (api, method, id, sub, n) =>
    routeJobs(api, method, id, n, {
      create: () => this.create(api, api.ctx),
      list: () => this.list(api),
      info: (jobId) => this.info(this.get(jobId), true),
      patch: (jobId) => this.patch(api, jobId),
      delete: (jobId) => this.delete(api, jobId),
      sub: async (jobId) => {
        if (sub !== 'results') throw notFound();
        if (method !== 'GET') throw methodNotAllowed(method, ['GET']);
        return this.results(api, jobId, api.ctx.settings.queryPageSize);
      },
    });

  get(id: string): QueryJob {
    return findJob(this.jobs, id);
  }

  info(job: QueryJob, full: boolean): Record<string, unknown> {
    const info: Record<string, unknown> = {
      ...jobInfoHead(job),
      concurrencyMode: 'Parallel',
      contentType: 'CSV',
      apiVersion: job.apiVersion,
      lineEnding: job.lineEnding,
      columnDelimiter: delimiterName(job.columnDelimiter),
    };
    if (full) {
      info.jobType = 'V2Query';
      info.numberRecordsProcessed = job.state === 'JobComplete' ? (job.result?.rows.length ?? 0) : 0;
      info.retries = 0;
      info.totalProcessingTime = job.processingTime;
      info.isPkChunkingSupported = false;
      if (job.errorMessage !== undefined) info.errorMessage = job.errorMessage;
    }
    return info;
  }

  /** `POST jobs/query`. */
  async create(api: ApiRequest, ctx: EmulatorContext): Promise<void> {
    const body = await readJsonObject(api.req);
    const operation = String(body.operation ?? 'query');
    if (operation !== 'query' && operation !== 'queryAll') {
      throw new ApiError(400, 'INVALIDJOB', `Invalid operation: ${operation}`);
    }
    const soql = typeof body.query === 'string' ? body.query : '';
    if (!soql.trim()) throw new ApiError(400, 'INVALIDJOB', 'A query is required');
    const lineEnding = String(body.lineEnding ?? 'LF');
    if (lineEnding !== 'LF' && lineEnding !== 'CRLF')
      throw new ApiError(400, 'INVALIDJOB', `Invalid line ending: ${lineEnding}`);
    const delimiterKey = String(body.columnDelimiter ?? 'COMMA');
    const columnDelimiter = DELIMITERS[delimiterKey];
    if (!columnDelimiter) throw new ApiError(400, 'INVALIDJOB', `Invalid column delimiter: ${delimiterKey}`);
    // Salesforce validates the query when the job is created; the org's errors keep their codes.
    const result = ctx.org.bulkQuery(soql, { all: operation === 'queryAll' });
    const from = /\bfrom\s+(\w+)/i.exec(soql);
    const now = ctx.org.clock.millis();
    const job: QueryJob = {
      id: makeId('750'),
      operation,
      object: ctx.org.getObject(from?.[1] ?? '')?.name ?? from?.[1] ?? '',
      query: soql,
      createdById: api.session.userId,
      createdDate: now,
      systemModstamp: now,
      state: 'UploadComplete',
      apiVersion: Number(api.version),
      lineEnding,
      columnDelimiter,
      processingTime: 0,
    };
    this.created++;
    this.jobs.set(job.id, job);
    sendJson(api.res, 200, this.info(job, false));
    void this.process(ctx, job, result);
  }

  private async process(ctx: EmulatorContext, job: QueryJob, result: BulkQueryRows): Promise<void> {
    const started = Date.now();
    await nextTick();
    if (job.state !== 'UploadComplete') return;
    job.state = 'InProgress';
    job.systemModstamp = ctx.org.clock.millis();
    const wait = ctx.faults.jobProcessingMs();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait).unref());
    if (job.state !== 'InProgress') return;
    job.result = result;
    job.processingTime = Date.now() - started;
    job.state = 'JobComplete';
    job.systemModstamp = ctx.org.clock.millis();
  }

  /** `PATCH jobs/query/{id}` `{state: "Aborted"}`. */
  async patch(api: ApiRequest, id: string): Promise<void> {
    const body = await readJsonObject(api.req);
    const job = this.get(id);
    if (body.state !== 'Aborted') {
      throw new ApiError(400, 'INVALIDJOBSTATE', `Invalid state: ${String(body.state ?? '(none)')}`);
    }
    if (FINISHED.includes(job.state)) {
      throw new ApiError(400, 'INVALIDJOBSTATE', `Invalid state change from ${job.state} to Aborted`);
    }
    job.state = 'Aborted';
    job.systemModstamp = api.ctx.org.clock.millis();
    sendJson(api.res, 200, this.info(job, false));
  }

  delete(api: ApiRequest, id: string): void {
    const job = this.get(id);
    if (job.state === 'InProgress') {
      throw new ApiError(400, 'INVALIDJOBSTATE', `Job ${id} cannot be deleted in state ${job.state}`);
    }
    this.jobs.delete(id);
    sendEmpty(api.res, 204);
  }

  list(api: ApiRequest): void {
    sendJobPage(api, this.jobs, 'query', (job) => ({ ...this.info(job, false), jobType: 'V2Query' }));
  }

  /**
   * `GET jobs/query/{id}/results?locator=&maxRecords=`: one page, written as it is made (chunked), from the job's
   * snapshot of stored records. The locator is the row offset, so a page costs the same work wherever it starts.
   * Without `maxRecords` a page holds `pageSize` rows when set, else about 100 MB of CSV.
   */
  async results(api: ApiRequest, id: string, pageSize: number | undefined): Promise<void> {
    const job = this.get(id);
    if (job.state !== 'JobComplete' || !job.result) {
      throw new ApiError(412, 'INVALIDJOBSTATE', `Job ${id} is not complete (state ${job.state})`);
    }
    const locator = api.query.get('locator');
    let offset = 0;
    if (locator && locator !== 'null') {
      offset = Number(Buffer.from(locator, 'base64').toString('utf8'));
      if (!Number.isInteger(offset) || offset < 0) {
        throw new ApiError(400, 'INVALID_LOCATOR', `Invalid locator: ${locator}`);
      }
    }
    const { rows, columns, recordOf } = job.result;
    const d = job.columnDelimiter;
    job.writeRow ??= rowWriter(job.result, d);
    const writeRow = job.writeRow;
    const maxRecords = Number(api.query.get('maxRecords') ?? '');
    let size: number;
    if (Number.isInteger(maxRecords) && maxRecords > 0) size = maxRecords;
    else if (pageSize !== undefined) size = pageSize;
    else {
      if (job.defaultPage === undefined) {
        const sample = Math.min(rows.length, 1000);
        const scratch = new CsvByteWriter(job.lineEnding);
        for (let i = 0; i < sample; i++) writeRow(recordOf(rows[i]!), scratch);
        const bytes = scratch.size();
        job.defaultPage = sample === 0 ? 1 : Math.max(1, Math.floor(DEFAULT_PAGE_BYTES / Math.max(1, bytes / sample)));
      }
      size = job.defaultPage;
    }
    const end = Math.min(rows.length, offset + size);
    const next = end < rows.length ? Buffer.from(String(end)).toString('base64') : 'null';
    const res = api.res;
    res.writeHead(200, {
      'Content-Type': 'text/csv',
      'Sforce-Locator': next,
      'Sforce-NumberOfRecords': String(Math.max(0, end - offset)),
    });
    // The page is encoded into buffers as it goes; each full buffer is sent at once (back-pressure honoured), so a
    // page costs the same per row whatever its size or position.
    const out = new CsvByteWriter(job.lineEnding, WRITE_CHUNK_BYTES);
    out.text(columns.map(quote).join(d));
    out.eol();
    for (let i = offset; i < end; i++) {
      writeRow(recordOf(rows[i]!), out);
      if (out.ready.length > 0) {
        if (res.destroyed) return;
        let more = true;
        for (const buffer of out.ready) more = res.write(buffer);
        out.ready.length = 0;
        if (!more) await drainedOrClosed(res, res);
      }
    }
    out.flush();
    for (const buffer of out.ready) res.write(buffer);
    res.end();
  }
}
