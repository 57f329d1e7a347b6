import type { IncomingMessage, ServerResponse } from 'node:http';
import { setImmediate as nextTick } from 'node:timers/promises';
import { type DmlResult, OrgError, type OrgRecord } from '../contract.js';
import { openStreamedBody, sendMaybeCompressed } from '../server/compress.js';
import type { BulkV1Jobs, EmulatorContext } from '../server/context.js';
import { escapeXml, RawError, readBody, unescapeXml } from '../server/http.js';
import type { BulkQueryRows } from '../soql/engine.js';
import { CsvParser, CsvSyntaxError, formatCsvValue, quote } from './csv.js';
import { checkHeader, formatErrors } from './ingest-job.js';
import { makeId, upsertKeyField } from './jobs.js';

const NS = 'http://www.force.com/2009/06/asyncapi/dataload';
const XML = 'application/xml';
const CSV = 'text/csv; charset=UTF-8';
const OPERATIONS = ['insert', 'update', 'upsert', 'delete', 'hardDelete', 'query', 'queryAll'] as const;
type Operation = (typeof OPERATIONS)[number];
const isQuery = (operation: Operation) => operation === 'query' || operation === 'queryAll';

/** Rows of a query batch's result file written per response chunk. */
const RESULT_CHUNK_ROWS = 5000;

/** Max records and characters of one Bulk API 1.0 batch. */
const MAX_BATCH_RECORDS = 10_000;
const MAX_BATCH_BYTES = 10_000_000;

interface Batch {
  id: string;
  jobId: string;
  state: 'Queued' | 'InProgress' | 'Completed' | 'Failed' | 'NotProcessed';
  stateMessage?: string;
  createdDate: number;
  systemModstamp: number;
  processed: number;
  failed: number;
  /** `"Id","Success","Created","Error"` lines in input order. */
  results: string[];
  processingTime: number;
  /** Query batches: the result (one file, id `752...`), a snapshot of the matched records taken when processed. */
  query?: { resultId: string; rows: BulkQueryRows };
}

interface Job {
  id: string;
  operation: Operation;
  object: string;
  externalIdFieldName?: string;
  createdById: string;
  createdDate: number;
  systemModstamp: number;
  state: 'Open' | 'Closed' | 'Aborted' | 'Failed';
  apiVersion: string;
  batches: Batch[];
}

/** An error in the Bulk API 1.0 XML shape. */
export function asyncError(status: number, code: string, message: string): RawError {
  return new RawError(
    status,
    `<?xml version="1.0" encoding="UTF-8"?><error xmlns="${NS}"><exceptionCode>${code}</exceptionCode><exceptionMessage>${escapeXml(message)}</exceptionMessage></error>`,
    `${XML};charset=UTF-8`,
  );
}

function xmlTag(body: string, tag: string): string | undefined {
  const match = new RegExp(`<(?:\\w+:)?${tag}>([^<]*)</(?:\\w+:)?${tag}>`).exec(body);
  return match ? unescapeXml(match[1] as string).trim() : undefined;
}

/** Whether CSV text has a line after its header (line breaks at its end do not count). */
function hasRecordRow(text: string): boolean {
  const trimmed = text.replace(/[\r\n]+$/, '');
  return trimmed.trim() !== '' && /[\r\n]/.test(trimmed);
}

function isoDate(time: number): string {
  return new Date(time).toISOString();
}

/** A query result cell as Bulk CSV writes it: quoted, datetimes with `Z`, nulls empty. */
function queryCell(type: string, value: unknown): string {
  if (value === null || value === undefined) return '""';
  if (type === 'datetime' && typeof value === 'string' && value.endsWith('+0000')) return `"${value.slice(0, -5)}Z"`;
  return quote(formatCsvValue(value));
}

/**
 * Bulk API 1.0 (`/services/async/{version}/job...`): ingest jobs with CSV batches (10,000 records or 10 MB each),
 * batch status and `"Id","Success","Created","Error"` results in input order; query and queryAll jobs whose batch
 * is the SOQL text, answered with one result file (`result-list`, then the CSV). XML job documents only.
 */
export class BulkV1Store implements BulkV1Jobs {
  private readonly jobs = new Map<string, Job>();

  constructor(private readonly ctx: () => EmulatorContext) {}

  private job(id: string): Job {
    const job = this.jobs.get(id);
    if (!job) throw asyncError(400, 'InvalidJob', `Unable to find job for id ${id}`);
    return job;
  }

  private jobXml(job: Job): string {
    const count = (state: Batch['state']) => job.batches.filter((b) => b.state === state).length;
    const processed = job.batches.reduce((sum, b) => sum + b.processed, 0);
    const failed = job.batches.reduce((sum, b) => sum + b.failed, 0);
    const time = job.batches.reduce((sum, b) => sum + b.processingTime, 0);
    return (
      `<?xml version="1.0" encoding="UTF-8"?><jobInfo xmlns="${NS}"><id>${job.id}</id><operation>${job.operation}</operation>` +
      `<object>${job.object}</object><createdById>${job.createdById}</createdById><createdDate>${isoDate(job.createdDate)}</createdDate>` +
      `<systemModstamp>${isoDate(job.systemModstamp)}</systemModstamp><state>${job.state}</state>` +
      (job.externalIdFieldName ? `<externalIdFieldName>${job.externalIdFieldName}</externalIdFieldName>` : '') +
      '<concurrencyMode>Parallel</concurrencyMode><contentType>CSV</contentType>' +
      `<numberBatchesQueued>${count('Queued')}</numberBatchesQueued><numberBatchesInProgress>${count('InProgress')}</numberBatchesInProgress>` +
      `<numberBatchesCompleted>${count('Completed')}</numberBatchesCompleted><numberBatchesFailed>${count('Failed')}</numberBatchesFailed>` +
      `<numberBatchesTotal>${job.batches.length}</numberBatchesTotal><numberRecordsProcessed>${processed}</numberRecordsProcessed>` +
      `<numberRetries>0</numberRetries><apiVersion>${job.apiVersion}</apiVersion><numberRecordsFailed>${failed}</numberRecordsFailed>` +
      `<totalProcessingTime>${time}</totalProcessingTime><apiActiveProcessingTime>${time}</apiActiveProcessingTime>` +
      '<apexProcessingTime>0</apexProcessingTime></jobInfo>'
    );
  }

  private batchXml(batch: Batch, root = true): string {
    const inner =
      `<batchInfo${root ? ` xmlns="${NS}"` : ''}><id>${batch.id}</id><jobId>${batch.jobId}</jobId><state>${batch.state}</state>` +
      (batch.stateMessage ? `<stateMessage>${escapeXml(batch.stateMessage)}</stateMessage>` : '') +
      `<createdDate>${isoDate(batch.createdDate)}</createdDate><systemModstamp>${isoDate(batch.systemModstamp)}</systemModstamp>` +
      `<numberRecordsProcessed>${batch.processed}</numberRecordsProcessed><numberRecordsFailed>${batch.failed}</numberRecordsFailed>` +
      `<totalProcessingTime>${batch.processingTime}</totalProcessingTime><apiActiveProcessingTime>${batch.processingTime}</apiActiveProcessingTime>` +
      '<apexProcessingTime>0</apexProcessingTime></batchInfo>';
    return root ? `<?xml version="1.0" encoding="UTF-8"?>${inner}` : inner;
  }

  /** Routes `/services/async/{version}/{rest}` (already authenticated). */
  async handle(req: IncomingMessage, res: ServerResponse, version: string, segments: string[], userId: string) {
    const method = req.method ?? 'GET';
    const [head, jobId, sub, batchId, tail] = segments;
    if (head !== 'job') throw asyncError(404, 'InvalidUrl', 'Unknown Bulk API resource');
    if (segments.length === 1 && method === 'POST') return this.create(req, res, version, userId);
    const job = this.job(jobId ?? '');
    if (segments.length === 2) {
      if (method === 'GET') return sendMaybeCompressed(res, 200, this.jobXml(job), XML);
      if (method === 'POST') return this.changeState(req, res, job);
    }
    if (sub === 'batch' && segments.length === 3) {
      if (method === 'POST') return this.addBatch(req, res, job);
      if (method === 'GET') {
        const list = job.batches.map((b) => this.batchXml(b, false)).join('');
        return sendMaybeCompressed(
          res,
          200,
          `<?xml version="1.0" encoding="UTF-8"?><batchInfoList xmlns="${NS}">${list}</batchInfoList>`,
          XML,
        );
      }
    }
    if (sub === 'batch' && batchId) {
      const batch = job.batches.find((b) => b.id === batchId);
      if (!batch) throw asyncError(400, 'InvalidBatch', `Unable to find batch for id ${batchId}`);
      if (segments.length === 4 && method === 'GET') return sendMaybeCompressed(res, 200, this.batchXml(batch), XML);
      if (tail === 'result' && segments.length === 6 && method === 'GET') {
        return this.sendQueryResult(res, batch, segments[5] as string);
      }
      if (tail === 'result' && segments.length === 5 && method === 'GET') {
        if (batch.state !== 'Completed' && batch.state !== 'Failed') {
          throw asyncError(400, 'InvalidBatch', `Batch not completed`);
        }
        if (isQuery(job.operation)) {
          if (!batch.query) throw asyncError(400, 'InvalidBatch', `Batch failed: ${batch.stateMessage ?? ''}`);
          return sendMaybeCompressed(
            res,
            200,
            `<?xml version="1.0" encoding="UTF-8"?><result-list xmlns="${NS}"><result>${batch.query.resultId}</result></result-list>`,
            XML,
          );
        }
        const body = `"Id","Success","Created","Error"\n${batch.results.join('\n')}${batch.results.length ? '\n' : ''}`;
        return sendMaybeCompressed(res, 200, body, 'text/csv');
      }
    }
    throw asyncError(404, 'InvalidUrl', 'Unknown Bulk API resource');
  }

  private async create(req: IncomingMessage, res: ServerResponse, version: string, userId: string): Promise<void> {
    const body = (await readBody(req, 1024 * 1024)).toString('utf8');
    const { org } = this.ctx();
    const operation = xmlTag(body, 'operation') ?? '';
    if (!OPERATIONS.includes(operation as Operation)) {
      throw asyncError(400, 'InvalidJob', `Invalid operation: ${operation || '(none)'}`);
    }
    const definition = org.getObject(xmlTag(body, 'object') ?? '');
    if (!definition) {
      throw asyncError(
        400,
        'InvalidEntity',
        `Entity '${xmlTag(body, 'object') ?? ''}' is not supported by the Bulk API.`,
      );
    }
    const contentType = xmlTag(body, 'contentType') ?? 'CSV';
    if (contentType !== 'CSV') throw asyncError(400, 'InvalidJob', `Unsupported content type ${contentType}: only CSV`);
    let externalIdFieldName: string | undefined;
    if (operation === 'upsert') {
      const requested = xmlTag(body, 'externalIdFieldName') ?? '';
      externalIdFieldName = upsertKeyField(definition, requested, (message) => asyncError(400, 'InvalidJob', message));
    }
    const now = this.ctx().org.clock.millis();
    const job: Job = {
      id: makeId('750'),
      operation: operation as Operation,
      object: definition.name,
      externalIdFieldName,
      createdById: userId,
      createdDate: now,
      systemModstamp: now,
      state: 'Open',
      apiVersion: version,
      batches: [],
    };
    this.jobs.set(job.id, job);
    sendMaybeCompressed(res, 201, this.jobXml(job), XML);
  }

  private async changeState(req: IncomingMessage, res: ServerResponse, job: Job): Promise<void> {
    const body = (await readBody(req, 1024 * 1024)).toString('utf8');
    const state = xmlTag(body, 'state');
    if (state !== 'Closed' && state !== 'Aborted')
      throw asyncError(400, 'InvalidJobState', `Invalid state: ${state ?? '(none)'}`);
    if (job.state !== 'Open') throw asyncError(400, 'InvalidJobState', `Job is already ${job.state}`);
    job.state = state;
    job.systemModstamp = this.ctx().org.clock.millis();
    if (state === 'Aborted') {
      for (const batch of job.batches) {
        if (batch.state === 'Queued') batch.state = 'NotProcessed';
      }
    }
    sendMaybeCompressed(res, 200, this.jobXml(job), XML);
  }

  private async addBatch(req: IncomingMessage, res: ServerResponse, job: Job): Promise<void> {
    if (job.state !== 'Open') {
      req.resume();
      throw asyncError(400, 'InvalidJobState', `Job ${job.id} is not open`);
    }
    let data: Buffer;
    try {
      data = await readBody(req, MAX_BATCH_BYTES);
    } catch {
      throw asyncError(400, 'InvalidBatch', `Failed to read request. Exceeded max size limit of ${MAX_BATCH_BYTES}`);
    }
    const text = data.toString('utf8');
    if (isQuery(job.operation) && text.trim() === '') {
      throw asyncError(400, 'ClientInputError', 'Failed to read request. A query batch holds the SOQL query text.');
    }
    if (!isQuery(job.operation) && !hasRecordRow(text)) {
      // Salesforce refuses such a batch outright (no batch is added); jsforce's load([]) relies on it.
      throw asyncError(
        400,
        'ClientInputError',
        'Failed to read request. The batch has no records: send a CSV header line followed by at least one record line.',
      );
    }
    const now = this.ctx().org.clock.millis();
    const batch: Batch = {
      id: makeId('751'),
      jobId: job.id,
      state: 'Queued',
      createdDate: now,
      systemModstamp: now,
      processed: 0,
      failed: 0,
      results: [],
      processingTime: 0,
    };
    job.batches.push(batch);
    sendMaybeCompressed(res, 201, this.batchXml(batch), XML);
    void this.process(job, batch, text);
  }

  /**
   * `GET job/{id}/batch/{b}/result/{resultId}`: the query's CSV (header, then one line per record), written in
   * chunks; "Records not found for this query" when nothing matched, as Salesforce answers.
   */
  private async sendQueryResult(res: ServerResponse, batch: Batch, resultId: string): Promise<void> {
    const query = batch.query;
    if (!query || query.resultId !== resultId) {
      throw asyncError(400, 'InvalidBatch', `Unable to find result ${resultId} of batch ${batch.id}`);
    }
    const { rows, columns, cells, types, recordOf } = query.rows;
    if (rows.length === 0) {
      sendMaybeCompressed(res, 200, 'Records not found for this query', CSV);
      return;
    }
    const body = openStreamedBody(res, 200, CSV);
    await body.write(`${columns.map((column) => quote(column)).join(',')}\n`);
    const line = (record: OrgRecord) => cells.map((cell, c) => queryCell(types[c] as string, cell(record))).join(',');
    for (let start = 0; start < rows.length; start += RESULT_CHUNK_ROWS) {
      if (body.closed) return;
      const lines = rows.slice(start, start + RESULT_CHUNK_ROWS).map((row) => line(recordOf(row)));
      await body.write(`${lines.join('\n')}\n`);
    }
    await body.end();
  }

  /** Processes one queued batch: a query, or CSV rows applied to the org; the batch ends Completed or Failed. */
  private async process(job: Job, batch: Batch, text: string): Promise<void> {
    await nextTick();
    if (batch.state !== 'Queued') return;
    const ctx = this.ctx();
    const started = Date.now();
    batch.state = 'InProgress';
    const wait = ctx.faults.jobProcessingMs();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait).unref());
    const failure = isQuery(job.operation)
      ? this.runQuery(job, batch, text)
      : this.applyRows(job, job.operation, batch, text);
    if (failure !== undefined) {
      batch.state = 'Failed';
      batch.stateMessage = failure;
    } else {
      batch.processingTime = Date.now() - started;
      batch.state = 'Completed';
    }
    batch.systemModstamp = this.ctx().org.clock.millis();
  }

  /** A query batch: its rows kept for the result; the failure message when the org refuses the query. */
  private runQuery(job: Job, batch: Batch, text: string): string | undefined {
    try {
      const rows = this.ctx().org.bulkQuery(text.trim(), { all: job.operation === 'queryAll' });
      batch.query = { resultId: makeId('752'), rows };
      batch.processed = rows.rows.length;
      return undefined;
    } catch (error) {
      if (!(error instanceof OrgError)) throw error;
      // The engine words its refusals for Bulk 2.0; a 1.0 batch fails with the same reason.
      const reason = error.message.replace('Bulk V2 Query', 'Bulk Query');
      return `InvalidBatch : Failed to process query: ${error.errorCode}: ${reason}`;
    }
  }

  /** A CSV batch: header checked, rows applied, one result line each; the failure message of a bad batch. */
  private applyRows(
    job: Job,
    operation: Exclude<Operation, 'query' | 'queryAll'>,
    batch: Batch,
    text: string,
  ): string | undefined {
    const ctx = this.ctx();
    const rows: string[][] = [];
    try {
      new CsvParser(',', 'LF').feed(text, rows, true);
    } catch (error) {
      if (error instanceof CsvSyntaxError) return `InvalidBatch : ${error.message}`;
      throw error;
    }
    const header = (rows.shift() ?? []).map((h) => h.trim());
    const definition = ctx.org.getObject(job.object);
    const problem = definition ? checkHeader(definition, operation, header) : 'InvalidBatch : Unknown object';
    if (problem) return problem;
    if (rows.length > MAX_BATCH_RECORDS) return `InvalidBatch : Records in a single batch exceeds ${MAX_BATCH_RECORDS}`;
    const records = rows.map((row) => Object.fromEntries(header.map((h, c) => [h, row[c] ?? ''])));
    const results = ctx.org.dml(operation, job.object, records, {
      csvValues: true,
      externalIdField: job.externalIdFieldName,
      rejectDuplicateExternalIds: true,
      injectError: ctx.faults.rowErrorHook(job.object, operation),
    });
    for (const result of results as DmlResult[]) {
      batch.processed++;
      if (!result.success) batch.failed++;
      batch.results.push(
        [
          quote(result.id ?? ''),
          quote(String(result.success)),
          quote(String(result.success && result.created)),
          quote(result.success ? '' : formatErrors(result)),
        ].join(','),
      );
    }
    return undefined;
  }
}
