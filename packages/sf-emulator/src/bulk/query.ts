import { setImmediate as nextTick } from 'node:timers/promises';
import type { QueryResult } from '../contract.js';
import type { ApiRequest, EmulatorContext } from '../server/context.js';
import { ApiError, readJsonObject, sendEmpty, sendJson } from '../server/http.js';
import { DELIMITERS, formatCsvValue, quote } from './csv.js';
import { makeId, sfDate } from './jobs.js';

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
  result?: QueryResult;
  errorMessage?: string;
  processingTime: number;
}

const FINISHED: QueryState[] = ['JobComplete', 'Failed', 'Aborted'];

function delimiterName(delimiter: string): string {
  for (const [name, value] of Object.entries(DELIMITERS)) if (value === delimiter) return name;
  return 'COMMA';
}

/** Reads `Owner.Name` from a REST-shaped record (case-insensitive keys). */
function valueAt(record: Record<string, unknown>, path: string): unknown {
  let current: unknown = record;
  for (const part of path.split('.')) {
    if (current === null || current === undefined || typeof current !== 'object') return null;
    const object = current as Record<string, unknown>;
    if (part in object) {
      current = object[part];
      continue;
    }
    const lower = part.toLowerCase();
    const key = Object.keys(object).find((k) => k.toLowerCase() === lower);
    current = key === undefined ? null : object[key];
  }
  return current;
}

const DATETIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?)\+0000$/;

function csvValue(value: unknown): string {
  const text = formatCsvValue(value);
  const match = DATETIME.exec(text);
  return match ? `${match[1]}Z` : text;
}

/** The Bulk API 2.0 query jobs of the emulator. */
export class QueryJobStore {
  readonly jobs = new Map<string, QueryJob>();
  private created = 0;

  count(): number {
    return this.created;
  }

  get(id: string): QueryJob {
    const job = this.jobs.get(id);
    if (!job) throw new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
    return job;
  }

  info(job: QueryJob, full: boolean): Record<string, unknown> {
    const info: Record<string, unknown> = {
      id: job.id,
      operation: job.operation,
      object: job.object,
      createdById: job.createdById,
      createdDate: sfDate(job.createdDate),
      systemModstamp: sfDate(job.systemModstamp),
      state: job.state,
      concurrencyMode: 'Parallel',
      contentType: 'CSV',
      apiVersion: job.apiVersion,
      lineEnding: job.lineEnding,
      columnDelimiter: delimiterName(job.columnDelimiter),
    };
    if (full) {
      info.jobType = 'V2Query';
      info.numberRecordsProcessed = job.state === 'JobComplete' ? (job.result?.records.length ?? 0) : 0;
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
    if (/\(\s*select\b/i.test(soql)) {
      throw new ApiError(
        400,
        'INVALIDJOB',
        'Nested queries (child relationship subqueries) are not supported by Bulk API 2.0',
      );
    }
    const lineEnding = String(body.lineEnding ?? 'LF');
    if (lineEnding !== 'LF' && lineEnding !== 'CRLF')
      throw new ApiError(400, 'INVALIDJOB', `Invalid line ending: ${lineEnding}`);
    const delimiterKey = String(body.columnDelimiter ?? 'COMMA');
    const columnDelimiter = DELIMITERS[delimiterKey];
    if (!columnDelimiter) throw new ApiError(400, 'INVALIDJOB', `Invalid column delimiter: ${delimiterKey}`);
    // Salesforce validates the query when the job is created; the org's errors keep their codes.
    const result = ctx.org.query(soql, { all: operation === 'queryAll' });
    if (result.isCount) {
      throw new ApiError(400, 'INVALIDJOB', 'Aggregate queries (COUNT()) are not supported by Bulk API 2.0');
    }
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

  private async process(ctx: EmulatorContext, job: QueryJob, result: QueryResult): Promise<void> {
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
    const pageSize = 1000;
    const start = Number(api.query.get('queryLocator') ?? '0') || 0;
    const all = [...this.jobs.values()];
    const done = start + pageSize >= all.length;
    sendJson(api.res, 200, {
      done,
      records: all.slice(start, start + pageSize).map((job) => ({ ...this.info(job, false), jobType: 'V2Query' })),
      nextRecordsUrl: done ? null : `/services/data/v${api.version}/jobs/query?queryLocator=${start + pageSize}`,
    });
  }

  /** `GET jobs/query/{id}/results?locator=&maxRecords=`. */
  results(api: ApiRequest, id: string, defaultPageSize: number): void {
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
    const maxRecords = Number(api.query.get('maxRecords') ?? '') || defaultPageSize;
    const records = job.result.records;
    const columns = job.result.columns;
    const end = Math.min(records.length, offset + Math.max(1, maxRecords));
    const d = job.columnDelimiter;
    const eol = job.lineEnding === 'CRLF' ? '\r\n' : '\n';
    const parts: string[] = [columns.map(quote).join(d)];
    for (let i = offset; i < end; i++) {
      const record = records[i] as Record<string, unknown>;
      let line = '';
      for (let c = 0; c < columns.length; c++) {
        if (c > 0) line += d;
        line += quote(csvValue(valueAt(record, columns[c] as string)));
      }
      parts.push(line);
    }
    const body = parts.join(eol) + eol;
    const next = end < records.length ? Buffer.from(String(end)).toString('base64') : 'null';
    api.res.writeHead(200, {
      'Content-Type': 'text/csv',
      'Content-Length': Buffer.byteLength(body),
      'Sforce-Locator': next,
      'Sforce-NumberOfRecords': String(end - offset),
    });
    api.res.end(body);
  }
}
