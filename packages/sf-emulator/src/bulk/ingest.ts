import type { ServerResponse } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { setImmediate as nextTick } from 'node:timers/promises';
import type { DmlOperation, DmlResult, FieldDefinition, ObjectDefinition } from '../contract.js';
import { seededRandom } from '../faults.js';
import type { ApiRequest, EmulatorContext } from '../server/context.js';
import { ApiError, readJsonObject, sendEmpty, sendJson } from '../server/http.js';
import { CsvParser, CsvSyntaxError, DELIMITERS, parseRecord, quote, shuffleInPlace } from './csv.js';
import { makeId, sfDate } from './jobs.js';

const OPERATIONS = ['insert', 'update', 'upsert', 'delete', 'hardDelete'] as const;
type IngestOperation = (typeof OPERATIONS)[number];
type IngestState = 'Open' | 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Failed' | 'Aborted';

/** Records per internal batch, as Salesforce splits an upload. */
export const INTERNAL_BATCH_SIZE = 10_000;

/**
 * The server model: each internal batch takes a time drawn from `batchMs` (uniformly, from a seeded generator)
 * before its rows are applied, and at most `concurrency` batches of the whole org are in that state at once
 * (the others queue in order), as Salesforce processes an org's batches on a pool of workers.
 */
export interface IngestServerModel {
  /** Milliseconds one 10,000-row internal batch takes: a fixed time or a range. */
  batchMs: number | { min: number; max: number };
  /** Batches processed at the same time across every job of the org. Default 10. */
  concurrency?: number;
}

/** A first-come first-served pool of `size` slots. */
class Slots {
  private free: number;
  private readonly waiting: Array<(granted: boolean) => void> = [];
  /** Most slots taken at once so far. */
  peak = 0;

  constructor(readonly size: number) {
    this.free = size;
  }

  /**
   * Resolves true with a slot taken, or false when `cancel` (added to, removed once settled) is called first:
   * an aborted job's queued batches give their turn up.
   */
  async acquire(cancel: Set<() => void>): Promise<boolean> {
    if (this.free > 0) this.free--;
    else {
      const granted = await new Promise<boolean>((resolve) => {
        const give = (value: boolean) => {
          cancel.delete(stop);
          resolve(value);
        };
        const stop = () => {
          const at = this.waiting.indexOf(give);
          if (at !== -1) this.waiting.splice(at, 1);
          give(false);
        };
        cancel.add(stop);
        this.waiting.push(give);
      });
      if (!granted) return false;
    }
    this.peak = Math.max(this.peak, this.size - this.free);
    return true;
  }

  release(): void {
    const next = this.waiting.shift();
    // The slot passes straight to the next waiter (free stays as it is).
    if (next) next(true);
    else this.free++;
  }
}

interface IngestJob {
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

const EMPTY = Buffer.alloc(0);
const FINISHED: IngestState[] = ['JobComplete', 'Failed', 'Aborted'];

function invalidState(message: string): ApiError {
  return new ApiError(400, 'INVALIDJOBSTATE', message);
}

/** The Bulk API 2.0 ingest jobs of the emulator. */
export class IngestJobStore {
  readonly jobs = new Map<string, IngestJob>();
  private sequence = 0;
  private batches = 0;
  private readonly active = new Set<Promise<void>>();
  private readonly model: { min: number; max: number; slots: Slots; random: () => number } | undefined;
  private stopping = false;

  constructor(
    private readonly ctx: () => EmulatorContext,
    model?: IngestServerModel,
    seed = 1,
  ) {
    if (model) {
      const range = typeof model.batchMs === 'number' ? { min: model.batchMs, max: model.batchMs } : model.batchMs;
      const concurrency = model.concurrency ?? 10;
      if (!(range.min >= 0 && range.max >= range.min && Number.isFinite(range.max))) {
        throw new RangeError(
          `serverModel.batchMs must be a number of milliseconds or { min, max } with 0 <= min <= max, got ${JSON.stringify(model.batchMs)}`,
        );
      }
      if (!Number.isInteger(concurrency) || concurrency < 1) {
        throw new RangeError(`serverModel.concurrency must be a whole number of 1 or more, got ${concurrency}`);
      }
      this.model = { ...range, slots: new Slots(concurrency), random: seededRandom(seed * 104_729 + 11) };
    }
  }

  batchesToday(): number {
    return this.batches;
  }

  /** The server model's figures: internal batches at most in process at once so far (0 without a model). */
  modelPeakConcurrency(): number {
    return this.model?.slots.peak ?? 0;
  }

  /** Resolves when every job being processed has finished (for a clean stop: waits end at once). */
  async idle(): Promise<void> {
    this.stopping = true;
    for (const job of this.jobs.values()) wake(job);
    while (this.active.size > 0) await Promise.allSettled([...this.active]);
  }

  /** Waits `ms` unless the job is woken (abort, delete, stop) first. */
  private sleep(job: IngestJob, ms: number): Promise<void> {
    if (ms <= 0 || this.stopping || job.abortRequested) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        job.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      job.sleepers.add(done);
    });
  }

  get(id: string): IngestJob {
    const job = this.jobs.get(id);
    if (!job) throw new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
    return job;
  }

  info(job: IngestJob, full: boolean, version: string): Record<string, unknown> {
    const info: Record<string, unknown> = {
      id: job.id,
      operation: job.operation,
      object: job.object,
      createdById: job.createdById,
      createdDate: sfDate(job.createdDate),
      systemModstamp: sfDate(job.systemModstamp),
      state: job.state,
    };
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

  /** `POST jobs/ingest`. */
  async create(api: ApiRequest): Promise<void> {
    const body = await readJsonObject(api.req);
    const { org } = api.ctx;
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
      const field = findField(definition, requested);
      if (!field || !(field.externalId || field.name === 'Id' || field.type === 'id')) {
        throw new ApiError(
          400,
          'INVALIDJOB',
          `Field name provided, ${requested} is not an External ID or indexed field for ${definition.name}`,
        );
      }
      externalIdFieldName = field.name;
    }
    const now = this.ctx().org.clock.millis();
    const job: IngestJob = {
      id: makeId('750'),
      operation: operation as IngestOperation,
      object: definition.name,
      externalIdFieldName,
      lineEnding,
      columnDelimiter,
      createdById: api.session.userId,
      createdDate: now,
      systemModstamp: now,
      state: 'Open',
      apiVersion: Number(api.version),
      uploaded: false,
      chunks: [],
      uploadBytes: 0,
      header: [],
      batches: [],
      unprocessed: [],
      unprocessedSequence: [],
      processed: 0,
      failedCount: 0,
      processingTime: 0,
      abortRequested: false,
      sleepers: new Set(),
      sequence: ++this.sequence,
    };
    if (typeof body.assignmentRuleId === 'string') job.assignmentRuleId = body.assignmentRuleId;
    if (api.ctx.settings.resultOrder === 'shuffle')
      job.random = seededRandom(api.ctx.settings.seed * 7919 + job.sequence);
    this.jobs.set(job.id, job);
    sendJson(api.res, 200, this.info(job, false, api.version));
  }

  /** `PUT jobs/ingest/{id}/batches`: one upload per job, streamed into memory chunks, 150 MB at most. */
  async upload(api: ApiRequest, id: string): Promise<void> {
    const job = this.get(id);
    if (job.state !== 'Open') {
      api.req.resume();
      throw invalidState(`Job ${id} is not open for uploads (state ${job.state})`);
    }
    if (job.uploaded) {
      api.req.resume();
      throw new ApiError(
        400,
        'BULK_API_ERROR',
        `Found multiple contents for job: <${id}>, please 'Close' / 'Abort' / 'Delete' the current Job then create a new Job and make sure you only do 'PUT' once on a given Job.`,
      );
    }
    job.uploaded = true;
    const limit = api.ctx.settings.maxUploadBytes;
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    for await (const chunk of api.req) {
      if (tooLarge) continue;
      const buffer = chunk as Buffer;
      size += buffer.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        continue;
      }
      chunks.push(buffer);
    }
    if (tooLarge) {
      job.uploaded = false;
      throw new ApiError(
        413,
        'REQUEST_ENTITY_TOO_LARGE',
        `The uploaded data exceeds the maximum size of ${limit} bytes (150 MB) for one job. Split the data into several jobs.`,
      );
    }
    job.chunks = chunks;
    job.uploadBytes = size;
    job.systemModstamp = this.ctx().org.clock.millis();
    sendEmpty(api.res, 201);
  }

  /** `PATCH jobs/ingest/{id}` `{state}`. */
  async patch(api: ApiRequest, id: string): Promise<void> {
    const body = await readJsonObject(api.req);
    const job = this.get(id);
    const state = String(body.state ?? '');
    if (state === 'UploadComplete') {
      if (job.state !== 'Open') throw invalidState(`Invalid state change from ${job.state} to UploadComplete`);
      job.state = 'UploadComplete';
      job.systemModstamp = this.ctx().org.clock.millis();
      const run = this.process(job).catch((error: unknown) => {
        job.state = 'Failed';
        job.errorMessage = `InternalServerError : ${(error as Error)?.message ?? String(error)}`;
      });
      this.active.add(run);
      void run.finally(() => this.active.delete(run));
    } else if (state === 'Aborted') {
      if (FINISHED.includes(job.state)) throw invalidState(`Invalid state change from ${job.state} to Aborted`);
      const wasOpen = job.state === 'Open';
      job.abortRequested = true;
      job.state = 'Aborted';
      wake(job);
      job.systemModstamp = this.ctx().org.clock.millis();
      if (wasOpen) job.chunks = [];
    } else {
      throw invalidState(`Invalid state: ${state || '(none)'}`);
    }
    sendJson(api.res, 200, this.info(job, false, api.version));
  }

  /** `DELETE jobs/ingest/{id}`. */
  delete(api: ApiRequest, id: string): void {
    const job = this.get(id);
    if (job.state === 'Open' || job.state === 'InProgress') {
      throw invalidState(`Job ${id} cannot be deleted in state ${job.state}`);
    }
    job.abortRequested = true;
    wake(job);
    this.jobs.delete(id);
    sendEmpty(api.res, 204);
  }

  /** `GET jobs/ingest`: job list, 1000 a page. */
  list(api: ApiRequest): void {
    const pageSize = 1000;
    const start = Number(api.query.get('queryLocator') ?? '0') || 0;
    const all = [...this.jobs.values()];
    const slice = all.slice(start, start + pageSize);
    const done = start + pageSize >= all.length;
    sendJson(api.res, 200, {
      done,
      records: slice.map((job) => {
        const info = this.info(job, false, api.version);
        delete info.contentUrl;
        info.jobType = 'V2Ingest';
        return info;
      }),
      nextRecordsUrl: done ? null : `/services/data/v${api.version}/jobs/ingest?queryLocator=${start + pageSize}`,
    });
  }

  /** `GET .../successfulResults`, `failedResults`, `unprocessedrecords`. */
  async results(api: ApiRequest, id: string, kind: 'success' | 'failed' | 'unprocessed'): Promise<void> {
    const job = this.get(id);
    const eol = job.lineEnding === 'CRLF' ? '\r\n' : '\n';
    const d = job.columnDelimiter;
    const original = job.header.join(d);
    api.res.writeHead(200, { 'Content-Type': 'text/csv' });
    if (kind === 'unprocessed') {
      await streamBlocks(api.res, original ? original + eol : '', job.unprocessed);
      return;
    }
    const head =
      kind === 'success'
        ? `"sf__Id"${d}"sf__Created"${original ? d + original : ''}${eol}`
        : `"sf__Id"${d}"sf__Error"${original ? d + original : ''}${eol}`;
    await streamBlocks(api.res, head, resultBlocks(job, kind === 'success', eol));
  }

  private async process(job: IngestJob): Promise<void> {
    const ctx = this.ctx();
    await nextTick();
    if (job.abortRequested) return;
    job.state = 'InProgress';
    job.processingStarted = Date.now();
    job.systemModstamp = job.processingStarted;
    const wait = ctx.faults.jobProcessingMs();
    if (wait > 0) await this.sleep(job, wait);
    const definition = ctx.org.getObject(job.object);
    const chunks = job.chunks;
    job.chunks = [];
    const lineEndingProblem = lineEndingMismatch(chunks, job.lineEnding);
    if (lineEndingProblem) {
      job.processingTime = Date.now() - (job.processingStarted ?? Date.now());
      job.systemModstamp = this.ctx().org.clock.millis();
      if ((job.state as IngestState) === 'Aborted') return;
      job.state = 'Failed';
      job.errorMessage = lineEndingProblem;
      return;
    }
    const parser = new CsvParser(job.columnDelimiter, job.lineEnding);
    const decoder = new StringDecoder('utf8');
    const failAfter = ctx.faults.failIngestJobAfterRows();
    const d = job.columnDelimiter;
    let header: string[] | undefined;
    let columns: string[] = [];
    let failure: string | undefined;
    let pending: string[][] = [];
    // Where each pending row is in the parsed text: the results parse it again from there, so the batch
    // keeps offsets instead of every row's values (fewer objects surviving into the old generation).
    let pendingTexts: string[] = [];
    let pendingSpans: number[] = [];
    const records: string[][] = [];
    const spans: number[] = [];
    const toUnprocessed = (rows: string[][], sequence: number) => {
      addBlock(
        job,
        rows.map((row) => row.map(quote).join(d)),
        sequence,
      );
    };
    const apply = (rows: string[][], texts: string[], rowSpans: number[], sequence: number) => {
      if (failure !== undefined || job.abortRequested || !definition) {
        toUnprocessed(rows, sequence);
        return;
      }
      let take = rows.length;
      if (failAfter !== undefined && job.processed + take > failAfter) take = Math.max(0, failAfter - job.processed);
      if (take > 0) {
        const all = take === rows.length;
        this.applyBatch(
          ctx,
          job,
          columns,
          all ? rows : rows.slice(0, take),
          all ? texts : texts.slice(0, take),
          all ? rowSpans : rowSpans.slice(0, 2 * take),
          sequence,
        );
      }
      if (take < rows.length) {
        failure = `InvalidBatch : Processing stopped after ${failAfter} records (injected failure)`;
        toUnprocessed(rows.slice(take), sequence);
      }
    };
    // With a server model, batches wait for a slot of the org's pool, take their drawn time, then apply their
    // rows; parsing goes on meanwhile, so several batches of one job (or of several jobs) are in process at once.
    const model = this.model;
    const inFlight: Array<Promise<void>> = [];
    let batchSequence = 0;
    const runBatch = async (rows: string[][], texts: string[], rowSpans: number[]) => {
      if (rows.length === 0) return;
      const sequence = batchSequence++;
      if (!model || failure !== undefined || job.abortRequested || !definition) {
        apply(rows, texts, rowSpans, sequence);
        await nextTick();
        return;
      }
      if (this.stopping || !(await model.slots.acquire(job.sleepers))) {
        apply(rows, texts, rowSpans, sequence); // aborted (its rows go to unprocessed) or stopping
        return;
      }
      const time = model.min + model.random() * (model.max - model.min);
      const work = this.sleep(job, time)
        .then(() => apply(rows, texts, rowSpans, sequence))
        .finally(() => model.slots.release());
      inFlight.push(work);
    };
    try {
      for (let index = 0; index <= chunks.length; index++) {
        const last = index === chunks.length;
        const text = last ? decoder.end() : decoder.write(chunks[index] as Buffer);
        if (!last) chunks[index] = EMPTY; // let the upload go as it is parsed
        parser.feed(text, records, last, spans);
        const parsed = parser.text;
        if (records.length === 0) continue;
        let start = 0;
        if (!header) {
          header = (records[0] as string[]).map((h) => h.trim());
          start = 1;
          job.header = header;
          const problem = definition
            ? checkHeader(definition, job.operation, header)
            : `Unable to find object: ${job.object}`;
          if (problem) failure = problem;
          columns = header;
        }
        for (let r = start; r < records.length; r++) {
          pending.push(records[r] as string[]);
          pendingTexts.push(parsed);
          pendingSpans.push(spans[2 * r] as number, spans[2 * r + 1] as number);
          if (pending.length >= INTERNAL_BATCH_SIZE) {
            await runBatch(pending, pendingTexts, pendingSpans);
            pending = [];
            pendingTexts = [];
            pendingSpans = [];
          }
        }
        records.length = 0;
        spans.length = 0;
      }
      await runBatch(pending, pendingTexts, pendingSpans);
      pending = [];
      pendingTexts = [];
      pendingSpans = [];
    } catch (error) {
      if (error instanceof CsvSyntaxError) {
        failure = `InvalidBatch : ${error.message}`;
        toUnprocessed(pending, batchSequence++);
      } else {
        await Promise.allSettled(inFlight);
        throw error;
      }
    }
    await Promise.all(inFlight);
    if (model && !job.random) {
      // Batches finished in the order their drawn times gave: the results keep the input order in 'input' mode.
      job.batches.sort((a, b) => a.sequence - b.sequence);
      const blocks = job.unprocessed.map((text, index) => ({ text, sequence: job.unprocessedSequence[index]! }));
      blocks.sort((a, b) => a.sequence - b.sequence);
      job.unprocessed = blocks.map((block) => block.text);
    }
    job.processingTime = Date.now() - (job.processingStarted ?? Date.now());
    if (job.random) {
      // Batches finish in any order at Salesforce: shuffle the blocks too.
      shuffleInPlace(job.batches, job.random);
      shuffleInPlace(job.unprocessed, job.random);
    }
    job.systemModstamp = this.ctx().org.clock.millis();
    if ((job.state as IngestState) === 'Aborted') return;
    if (failure !== undefined) {
      job.state = 'Failed';
      job.errorMessage = failure;
    } else {
      job.state = 'JobComplete';
    }
  }

  private applyBatch(
    ctx: EmulatorContext,
    job: IngestJob,
    columns: string[],
    rows: string[][],
    texts: string[],
    spans: number[],
    sequence: number,
  ): void {
    this.batches++;
    const d = job.columnDelimiter;
    const width = columns.length;
    const kept: string[][] = [];
    const positions: number[] = [];
    const shapeErrors = new Map<number, DmlResult>();
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r] as string[];
      if (row.length > width) {
        shapeErrors.set(r, {
          success: false,
          id: null,
          created: false,
          errors: [
            {
              statusCode: 'INVALID_FIELD',
              message: `Record has ${row.length} values but the header has ${width} columns`,
              fields: [],
            },
          ],
        });
        continue;
      }
      kept.push(row);
      positions.push(r);
    }
    const operation: DmlOperation = job.operation;
    const options = {
      csvValues: true,
      externalIdField: job.externalIdFieldName,
      rejectDuplicateExternalIds: true,
      injectError: ctx.faults.rowErrorHook(job.object, operation),
    };
    // Keep the outcome compactly; the result lines are formatted when a client downloads them.
    job.formatRow ??= rowFormatter(width, d);
    const n = rows.length;
    const ids: Array<string | null> = new Array(n);
    const flags = new Uint8Array(n);
    const errors = new Map<number, string>();
    const failed = (r: number, result: DmlResult) => {
      ids[r] = result.id;
      job.failedCount++;
      errors.set(r, formatErrors(result));
    };
    for (const [r, result] of shapeErrors) failed(r, result);
    if (operation === 'insert' && options.injectError === undefined) {
      // Inserts go from the rows to the stored records: no input record, no result object a row.
      const inserted = ctx.org.insertRows(job.object, columns, kept, options);
      for (let k = 0; k < positions.length; k++) {
        const r = positions[k] as number;
        const failure = inserted.failures.get(k);
        if (failure) failed(r, failure);
        else {
          ids[r] = inserted.ids[k] as string;
          flags[r] = inserted.flags[k] as number;
        }
      }
    } else {
      job.buildRecord ??= recordBuilder(columns);
      const results = ctx.org.dml(operation, job.object, kept.map(job.buildRecord), options);
      for (let k = 0; k < positions.length; k++) {
        const r = positions[k] as number;
        const result = results[k] as DmlResult;
        if (result.success) {
          ids[r] = result.id;
          flags[r] = result.created ? 3 : 1;
        } else failed(r, result);
      }
    }
    job.processed += n;
    job.batches.push({
      texts,
      spans: Uint32Array.from(spans),
      ids,
      flags,
      errors,
      order: rowOrder(n, job.random),
      sequence,
    });
  }
}

/** The outcome of one internal batch. flags: 1 = success, 2 = created. */
interface ResultBatch {
  /** The parsed text each row is in, and its start and end offsets there (two numbers a row). */
  texts: string[];
  spans: Uint32Array;
  ids: Array<string | null>;
  flags: Uint8Array;
  errors: Map<number, string>;
  /** The order rows appear in the results (seeded shuffle or input order). */
  order: Uint32Array;
  /** The batch's place in the upload (0, 1, ...). */
  sequence: number;
}

/** Successful or failed result lines of a job, formatted lazily in blocks of about 64 KB. */
function* resultBlocks(job: IngestJob, successes: boolean, eol: string): Generator<string> {
  const d = job.columnDelimiter;
  const format = job.formatRow ?? ((row: string[]) => row.map(quote).join(d));
  const row = (texts: string[], spans: Uint32Array, r: number) =>
    parseRecord((texts[r] as string).slice(spans[2 * r] as number, spans[2 * r + 1] as number), d, job.lineEnding);
  let buffer = '';
  for (const batch of job.batches) {
    const { texts, spans, ids, flags, errors, order } = batch;
    if (successes ? errors.size === ids.length : errors.size === 0) continue;
    for (let k = 0; k < order.length; k++) {
      const r = order[k] as number;
      const flag = flags[r] as number;
      if (successes) {
        if ((flag & 1) === 0) continue;
        buffer += `"${ids[r] ?? ''}"${d}"${flag & 2 ? 'true' : 'false'}"${d}${format(row(texts, spans, r))}${eol}`;
      } else {
        if ((flag & 1) === 1) continue;
        buffer += `${quote(ids[r] ?? '')}${d}${quote(errors.get(r) ?? '')}${d}${format(row(texts, spans, r))}${eol}`;
      }
      if (buffer.length >= 64 * 1024) {
        yield buffer;
        buffer = '';
      }
    }
  }
  if (buffer) yield buffer;
}

/**
 * A function building `{ [header]: value }` from a row: an object literal with the header's keys (compiled
 * once per job, keys JSON-quoted) is several times faster than keyed stores row by row.
 */
function recordBuilder(columns: string[]): (row: string[]) => Record<string, unknown> {
  const unique = new Set(columns).size === columns.length;
  if (!unique || columns.length > 500) {
    return (row) => {
      const record: Record<string, unknown> = {};
      for (let c = 0; c < columns.length; c++) record[columns[c] as string] = row[c] ?? '';
      return record;
    };
  }
  const body = columns.map((column, c) => `${JSON.stringify(column)}: row[${c}] ?? ''`).join(', ');
  return new Function('row', `return { ${body} };`) as (row: string[]) => Record<string, unknown>;
}

/**
 * Quotes every value of a row and joins them with the delimiter. For rows of the header's width without
 * quote characters, one compiled concatenation; otherwise value by value.
 */
function rowFormatter(width: number, delimiter: string): (row: string[]) => string {
  const slow = (row: string[]) => {
    let out = '';
    for (let c = 0; c < row.length; c++) out += (c === 0 ? '' : delimiter) + quote(row[c] as string);
    return out;
  };
  if (width === 0 || width > 500) return slow;
  const separator = JSON.stringify(`"${delimiter}"`);
  const body = Array.from({ length: width }, (_, c) => `row[${c}]`).join(` + ${separator} + `);
  const fast = new Function('row', `return '"' + ${body} + '"';`) as (row: string[]) => string;
  return (row) => {
    if (row.length !== width) return slow(row);
    for (let c = 0; c < width; c++) if ((row[c] as string).indexOf('"') !== -1) return slow(row);
    return fast(row);
  };
}

/** 0..n-1, shuffled with the generator when there is one. */
function rowOrder(n: number, random: (() => number) | undefined): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (random) {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      const tmp = order[i] as number;
      order[i] = order[j] as number;
      order[j] = tmp;
    }
  }
  return order;
}

/** Appends one internal batch's unprocessed lines as one block (shuffled within in shuffle mode). */
function addBlock(job: IngestJob, lines: string[], sequence: number): void {
  if (lines.length === 0) return;
  if (job.random) shuffleInPlace(lines, job.random);
  const eol = job.lineEnding === 'CRLF' ? '\r\n' : '\n';
  job.unprocessed.push(lines.join(eol) + eol);
  job.unprocessedSequence.push(sequence);
}

/** Ends every wait of a job at once. */
function wake(job: IngestJob): void {
  for (const done of [...job.sleepers]) done();
}

/** Writes the header and the blocks, honouring back-pressure. */
async function streamBlocks(res: ServerResponse, head: string, blocks: Iterable<string>): Promise<void> {
  const writable = async (ok: boolean) => {
    if (ok || res.destroyed) return;
    // A client that goes away mid-download must not leave this waiting forever.
    await new Promise<void>((resolve) => {
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  };
  if (head) await writable(res.write(head));
  for (const block of blocks) {
    if (res.destroyed) return;
    await writable(res.write(block));
  }
  res.end();
}

/** `sf__Error` text: `CODE:message:field,field --` for each error. */
export function formatErrors(result: DmlResult): string {
  return result.errors.map((e) => `${e.statusCode}:${e.message}:${e.fields.join(',')} --`).join(' ');
}

function findField(definition: ObjectDefinition, name: string): FieldDefinition | undefined {
  const lower = name.toLowerCase();
  return definition.fields.find((f) => f.name.toLowerCase() === lower);
}

function delimiterName(delimiter: string): string {
  for (const [name, value] of Object.entries(DELIMITERS)) if (value === delimiter) return name;
  return 'COMMA';
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
