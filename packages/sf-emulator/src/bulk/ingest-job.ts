// A Bulk API 2.0 ingest job: its state, its info as the API answers it, the checks of its create request, header
// and line ending, and the `sf__Error` text of a failed row.
import type { DmlResult, ObjectDefinition } from '../contract.js';
import type { EmulatedOrg } from '../org/emulated-org.js';
import { findField } from '../schema/fields.js';
import { ApiError } from '../server/http.js';
import { DELIMITERS } from './csv.js';
import { delimiterName, jobInfoHead, upsertKeyField } from './jobs.js';

export const OPERATIONS = ['insert', 'update', 'upsert', 'delete', 'hardDelete'] as const;
export type IngestOperation = (typeof OPERATIONS)[number];
export type IngestState = 'Open' | 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Failed' | 'Aborted';
export const FINISHED: IngestState[] = ['JobComplete', 'Failed', 'Aborted'];

/** One ingest job. */
export interface IngestJob {
  id: string;
  operation: IngestOperation;
  object: string;
  externalIdFieldName?: string;
  lineEnding: 'LF' | 'CRLF';
  columnDelimiter: string;
  createdById: string;
  createdDate: number;
  systemModstamp: number;
  state: IngestState;
  apiVersion: number;
  assignmentRuleId?: string;
  uploaded: boolean;
  chunks: Buffer[];
  uploadBytes: number;
  header: string[];
  /** Outcomes of the processed internal batches; result CSV lines are formatted when downloaded. */
  batches: ResultBatch[];
  /** Unprocessed rows in blocks (one string per internal batch, lines ending with the job's line ending). */
  unprocessed: string[];
  /** The internal batch each unprocessed block comes from (aligned with `unprocessed`). */
  unprocessedSequence: number[];
  /** Quotes a row's values for the results' original columns (compiled once per job). */
  formatRow?: (row: string[]) => string;
  /** Turns a parsed row into a record keyed by the header (compiled once per job). */
  buildRecord?: (row: string[]) => Record<string, unknown>;
  /** Seeded generator of the result order (shuffle mode). */
  random?: () => number;
  processed: number;
  failedCount: number;
  errorMessage?: string;
  processingStarted?: number;
  processingTime: number;
  abortRequested: boolean;
  /** Ends the waits of the job (jobProcessingMs, the server model's batch times) early: abort, delete, stop. */
  sleepers: Set<() => void>;
  sequence: number;
}

/** The outcome of one internal batch. flags: 1 = success, 2 = created. */
export interface ResultBatch {
  /**
   * Where each row's text is (two numbers a row, its start and end): offsets in the parsed text the row is in
   * (`texts`), or, for an upload of ASCII only, byte offsets in the upload (`upload`), whose bytes are its text.
   */
  texts: string[] | undefined;
  upload: UploadBytes | undefined;
  spans: Uint32Array;
  /**
   * Each row's record id: a number is the sequence of an id the org made with `idPrefix` (no id string a row kept
   * for the job's life), see {@link resultId}.
   */
  ids: Array<string | number | null>;
  idPrefix: string;
  flags: Uint8Array;
  errors: Map<number, string>;
  /** The order rows appear in the results (seeded shuffle or input order). */
  order: Uint32Array;
  /** The batch's place in the upload (0, 1, ...). */
  sequence: number;
}

/**
 * The bytes of an upload of ASCII only, kept for the results (off the JavaScript heap, where a decoded copy would be
 * moved and marked by the collector): the request's chunks and the offset of each in the upload.
 */
export interface UploadBytes {
  chunks: Buffer[];
  starts: number[];
}

/** The text of bytes `start` to `end` of an ASCII upload. */
export function uploadText(upload: UploadBytes, start: number, end: number): string {
  const { chunks, starts } = upload;
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if ((starts[middle] as number) <= start) low = middle;
    else high = middle - 1;
  }
  const first = chunks[low] as Buffer;
  const base = starts[low] as number;
  if (end <= base + first.length) return first.toString('latin1', start - base, end - base);
  let text = first.toString('latin1', start - base, first.length);
  for (let at = low + 1; at < chunks.length; at++) {
    const chunk = chunks[at] as Buffer;
    const from = starts[at] as number;
    if (end <= from + chunk.length) return text + chunk.toString('latin1', 0, end - from);
    text += chunk.toString('latin1');
  }
  return text;
}

/** A 400 INVALIDJOBSTATE with `message`. */
export function invalidState(message: string): ApiError {
  return new ApiError(400, 'INVALIDJOBSTATE', message);
}

/** The job info `POST`, `PATCH` and `GET jobs/ingest[/{id}]` answer (`full`: the GET of one job). */
export function jobInfo(job: IngestJob, full: boolean, version: string): Record<string, unknown> {
  const info = jobInfoHead(job);
  if (job.externalIdFieldName) info.externalIdFieldName = job.externalIdFieldName;
  info.concurrencyMode = 'Parallel';
  info.contentType = 'CSV';
  info.apiVersion = job.apiVersion;
  if (!full) {
    info.contentUrl = `services/data/v${version}/jobs/ingest/${job.id}/batches`;
  }
  info.lineEnding = job.lineEnding;
  info.columnDelimiter = delimiterName(job.columnDelimiter);
  if (full) {
    info.jobType = 'V2Ingest';
    info.numberRecordsProcessed = job.processed;
    info.numberRecordsFailed = job.failedCount;
    info.retries = 0;
    info.totalProcessingTime = job.processingTime;
    info.apiActiveProcessingTime = job.processingTime;
    info.apexProcessingTime = 0;
    if (job.errorMessage !== undefined) info.errorMessage = job.errorMessage;
  }
  return info;
}

/** What a valid `POST jobs/ingest` body asks for. */
export interface IngestJobRequest {
  operation: IngestOperation;
  definition: ObjectDefinition;
  lineEnding: 'LF' | 'CRLF';
  columnDelimiter: string;
  externalIdFieldName: string | undefined;
}

/** Checks a `POST jobs/ingest` body against the org; 400 INVALIDJOB naming what is wrong. */
export function ingestJobRequest(body: Record<string, unknown>, org: EmulatedOrg): IngestJobRequest {
  const operation = String(body.operation ?? '');
  if (!OPERATIONS.includes(operation as IngestOperation)) {
    throw new ApiError(400, 'INVALIDJOB', `Invalid operation: ${operation || '(none)'}`);
  }
  const objectName = String(body.object ?? '');
  const definition = org.getObject(objectName);
  if (!definition) {
    throw new ApiError(400, 'INVALIDJOB', `Unable to find object: ${objectName || '(none)'}`);
  }
  if (body.contentType !== undefined && body.contentType !== 'CSV') {
    throw new ApiError(400, 'INVALIDJOB', `Invalid content type: ${String(body.contentType)}`);
  }
  const lineEnding = String(body.lineEnding ?? 'LF');
  if (lineEnding !== 'LF' && lineEnding !== 'CRLF') {
    throw new ApiError(400, 'INVALIDJOB', `Invalid line ending: ${lineEnding}`);
  }
  const delimiterKey = String(body.columnDelimiter ?? 'COMMA');
  const columnDelimiter = DELIMITERS[delimiterKey];
  if (!columnDelimiter) throw new ApiError(400, 'INVALIDJOB', `Invalid column delimiter: ${delimiterKey}`);
  let externalIdFieldName: string | undefined;
  if (operation === 'upsert') {
    const requested = String(body.externalIdFieldName ?? '');
    if (!requested) {
      throw new ApiError(
        400,
        'INVALIDJOB',
        `External ID was blank for ${definition.name}. An External ID must be specified for upsert.`,
      );
    }
    externalIdFieldName = upsertKeyField(definition, requested, (message) => new ApiError(400, 'INVALIDJOB', message));
  }
  return { operation: operation as IngestOperation, definition, lineEnding, columnDelimiter, externalIdFieldName };
}

/** Ends every wait of a job at once. */
export function wake(job: IngestJob): void {
  for (const done of [...job.sleepers]) done();
}

/** `sf__Error` text: `CODE:message:field,field --` for each error. */
export function formatErrors(result: DmlResult): string {
  return result.errors.map((e) => `${e.statusCode}:${e.message}:${e.fields.join(',')} --`).join(' ');
}

/** The job failure message for a header with an unknown field, or undefined. */
export function checkHeader(
  definition: ObjectDefinition,
  operation: IngestOperation,
  header: string[],
): string | undefined {
  for (const column of header) {
    if (column === '') return 'InvalidBatch : Field name not found : ';
    const dot = column.indexOf('.');
    if (dot === -1) {
      if (!findField(definition, column)) return `InvalidBatch : Field name not found : ${column}`;
      continue;
    }
    // Relationship column: Parent__r.ExtId__c or Account.ExtId__c (polymorphic: Owner:User.ExtId__c).
    const relationship = column.slice(0, dot).split(':')[0]?.toLowerCase() ?? '';
    const reference = definition.fields.find((f) => f.relationshipName?.toLowerCase() === relationship);
    if (!reference) return `InvalidBatch : Field name not found : ${column}`;
  }
  if ((operation === 'delete' || operation === 'hardDelete') && !header.some((h) => h.toLowerCase() === 'id')) {
    return 'InvalidBatch : Field name not found : Id';
  }
  return undefined;
}

/**
 * Salesforce checks the data's line ending against the job's: the first line break decides (CRLF data in an LF
 * job, or LF data in a CRLF job, fails the whole job before any row is processed).
 */
export function lineEndingMismatch(chunks: Buffer[], lineEnding: 'LF' | 'CRLF'): string | undefined {
  let previous = -1;
  for (const chunk of chunks) {
    const at = chunk.indexOf(10);
    if (at === -1) {
      if (chunk.length > 0) previous = chunk[chunk.length - 1]!;
      continue;
    }
    const before = at > 0 ? chunk[at - 1]! : previous;
    const isCrlf = before === 13;
    if (isCrlf === (lineEnding === 'CRLF')) return undefined;
    return `ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is ${lineEnding}`;
  }
  return undefined;
}
