// Processing an ingest job after UploadComplete: the upload parsed into internal batches of 10,000 rows, each
// applied to the org (through the server model's pool when one is set), injected failures honoured, and the job
// finished in the state and result order Salesforce would give it.
import { isAscii } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';
import { setImmediate as nextTick } from 'node:timers/promises';
import type { ObjectDefinition } from '../contract.js';
import type { EmulatorContext } from '../server/context.js';
import { CsvParser, CsvSyntaxError, parseRecord, quote, RecordScanner, shuffleInPlace } from './csv.js';
import { applyBatch } from './ingest-batch.js';
import {
  checkHeader,
  type IngestJob,
  type IngestState,
  lineEndingMismatch,
  type UploadBytes,
  uploadText,
} from './ingest-job.js';
import type { ServerModel } from './ingest-model.js';
import { ingestPaths, uploadBytesJobs } from './ingest-paths.js';
import { addBlock } from './ingest-results.js';

/** Records per internal batch, as Salesforce splits an upload. */
export const INTERNAL_BATCH_SIZE = 10_000;

const EMPTY = Buffer.alloc(0);

/** What processing a job takes from the job store. */
export interface ProcessHost {
  readonly ctx: EmulatorContext;
  readonly model: ServerModel | undefined;
  /** Whether the server is stopping (batches no longer wait for the pool). */
  stopping(): boolean;
  /** Waits `ms` unless the job is woken (abort, delete, stop) first. */
  sleep(job: IngestJob, ms: number): Promise<void>;
  /** Counts one internal batch (the org's daily figure). */
  countBatch(): void;
}

/**
 * Rows of one internal batch and where each row's text is: the parsed text each is in and its start and end offsets
 * there, or (`upload`: an upload of ASCII only) its byte offsets in the upload.
 */
interface RowBatch {
  /** The parsed rows, or undefined for an ASCII upload's batch: its rows are parsed again from the bytes when applied. */
  rows: string[][] | undefined;
  count: number;
  texts: string[] | undefined;
  upload: UploadBytes | undefined;
  /** Two offsets a row (`count` rows; an ASCII upload's batch has room for a full batch from the start). */
  spans: number[] | Uint32Array;
}

/** Rows `from` to `to` of a batch: its parsed rows, or parsed again from its ASCII upload's bytes. */
function rowsOf(job: IngestJob, batch: RowBatch, from: number, to: number): string[][] {
  if (batch.rows) return from === 0 && to === batch.rows.length ? batch.rows : batch.rows.slice(from, to);
  return parseSpans(job, batch.upload as UploadBytes, batch.spans, from, to);
}

/**
 * Rows `from` to `to` of an ASCII upload located by `spans`, parsed again: complete records next to each other from a
 * record's start, so their text parses as they did (each row alone, should the count ever differ).
 */
function parseSpans(
  job: IngestJob,
  upload: UploadBytes,
  spans: ArrayLike<number>,
  from: number,
  to: number,
): string[][] {
  if (to <= from) return [];
  const text = uploadText(upload, spans[2 * from] as number, spans[2 * to - 1] as number);
  const out: string[][] = [];
  new CsvParser(job.columnDelimiter, job.lineEnding, false).feed(text, out, true);
  if (out.length === to - from) return out;
  out.length = 0;
  for (let r = from; r < to; r++) {
    const row = uploadText(upload, spans[2 * r] as number, spans[2 * r + 1] as number);
    out.push(parseRecord(row, job.columnDelimiter, job.lineEnding));
  }
  return out;
}

/** Processes an uploaded job to its end state (JobComplete, Failed, or Aborted as it was). */
export async function processJob(host: ProcessHost, job: IngestJob): Promise<void> {
  const ctx = host.ctx;
  await nextTick();
  if (job.abortRequested) return;
  job.state = 'InProgress';
  job.processingStarted = Date.now();
  job.systemModstamp = job.processingStarted;
  const wait = ctx.faults.jobProcessingMs();
  if (wait > 0) await host.sleep(job, wait);
  const chunks = job.chunks;
  job.chunks = [];
  const lineEndingProblem = lineEndingMismatch(chunks, job.lineEnding);
  if (lineEndingProblem) {
    finishJob(host, job, lineEndingProblem);
    return;
  }
  const batches = new BatchRunner(host, job);
  await parseBatches(job, chunks, batches);
  await batches.settled();
  finishJob(host, job, batches.failure);
}

/**
 * Ends an upload whose reading failed: a CSV syntax error fails the rows of the batch being filled (`InvalidBatch`,
 * as Salesforce does), anything else is thrown once the batches already running have settled.
 */
async function failUpload(error: unknown, job: IngestJob, runner: BatchRunner, pending: RowBatch): Promise<void> {
  if (!(error instanceof CsvSyntaxError)) {
    await runner.settled(true);
    throw error;
  }
  runner.fail(`InvalidBatch : ${error.message}`, rowsOf(job, pending, 0, pending.count));
}

/**
 * Parses the upload and hands `runner` its header and each internal batch as it fills. A CSV syntax error fails
 * the job; the rows parsed since the last batch go to the unprocessed records.
 */
async function parseBatches(job: IngestJob, chunks: Buffer[], runner: BatchRunner): Promise<void> {
  // An upload of ASCII only (a character a byte, the offsets of the parsed text are the upload's) keeps its bytes:
  // its records are found in them without parsing (scanBatches). Any other keeps its parsed text (a decoded copy
  // on the heap, which the collector moves and marks).
  const upload = ingestPaths.uploadBytes ? asciiUpload(chunks) : undefined;
  if (upload) {
    uploadBytesJobs.count++;
    await scanBatches(job, upload, runner);
    return;
  }
  const parser = new CsvParser(job.columnDelimiter, job.lineEnding);
  const decoder = new StringDecoder('utf8');
  // Where each pending row is: the results parse it again from there.
  const batch = (): RowBatch => ({ rows: [], count: 0, texts: [], upload: undefined, spans: [] });
  let pending = batch();
  const records: string[][] = [];
  const spans: number[] = [];
  let header = false;
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
        header = true;
        start = 1;
        runner.header((records[0] as string[]).map((h) => h.trim()));
      }
      for (let r = start; r < records.length; r++) {
        pending.rows?.push(records[r] as string[]);
        pending.texts?.push(parsed);
        (pending.spans as number[]).push(spans[2 * r] as number, spans[2 * r + 1] as number);
        if (++pending.count >= INTERNAL_BATCH_SIZE) {
          await runner.run(pending);
          pending = batch();
        }
      }
      records.length = 0;
      spans.length = 0;
    }
    await runner.run(pending);
  } catch (error) {
    await failUpload(error, job, runner, pending);
  }
}

/**
 * {@link parseBatches} for an upload of ASCII only: `@kicksaw/csv`'s `RecordScanner` finds each record's byte
 * offsets without making a string (the parser's records, lines and offsets), and the batches keep only those: their
 * rows are parsed when applied (parsing them here too, and keeping them while the batch fills, was measured as a
 * fifth of the ingest's main thread and most of its collector time).
 */
async function scanBatches(job: IngestJob, upload: UploadBytes, runner: BatchRunner): Promise<void> {
  const scanner = new RecordScanner({
    delimiter: job.columnDelimiter,
    lineBreaks: job.lineEnding === 'CRLF' ? ['\r\n'] : ['\r\n', '\n'],
  });
  const batch = (): RowBatch => ({
    rows: undefined,
    count: 0,
    texts: undefined,
    upload,
    spans: new Uint32Array(2 * INTERNAL_BATCH_SIZE),
  });
  let pending = batch();
  // The sink fills the pending batch's offsets; full batches wait here for the loop to run them in order.
  const full: RowBatch[] = [];
  let header: number[] | undefined;
  const sink = (start: number, end: number) => {
    if (header === undefined) {
      header = [start, end];
      return;
    }
    const spans = pending.spans as Uint32Array;
    const count = pending.count;
    spans[2 * count] = start;
    spans[2 * count + 1] = end;
    pending.count = count + 1;
    if (count + 1 === INTERNAL_BATCH_SIZE) {
      full.push(pending);
      pending = batch();
    }
  };
  const chunks = upload.chunks;
  let headerGiven = false;
  try {
    for (let index = 0; index <= chunks.length; index++) {
      if (index < chunks.length) scanner.push(chunks[index] as Buffer, sink);
      else scanner.end(sink);
      if (header === undefined) continue;
      if (!headerGiven) {
        headerGiven = true;
        const text = uploadText(upload, header[0] as number, header[1] as number);
        runner.header(parseRecord(text, job.columnDelimiter, job.lineEnding).map((h) => h.trim()));
      }
      for (let at = 0; at < full.length; at++) await runner.run(full[at] as RowBatch);
      full.length = 0;
    }
    await runner.run(pending);
  } catch (error) {
    await failUpload(error, job, runner, pending);
  }
}

/** The upload's chunks and offsets when every byte is ASCII (empty chunks left out), else undefined. */
function asciiUpload(chunks: Buffer[]): UploadBytes | undefined {
  const kept: Buffer[] = [];
  const starts: number[] = [];
  let offset = 0;
  for (const chunk of chunks) {
    if (!isAscii(chunk)) return undefined;
    if (chunk.length === 0) continue;
    kept.push(chunk);
    starts.push(offset);
    offset += chunk.length;
  }
  return { chunks: kept, starts };
}

/**
 * Applies a job's internal batches: at once, or with a server model after a slot of the org's pool and the batch's
 * drawn time, parsing going on meanwhile (so several batches of one job, or of several jobs, are in process at
 * once). After a failure (or an abort) the remaining rows go to the unprocessed records.
 */
class BatchRunner {
  failure: string | undefined;
  private columns: string[] = [];
  private readonly inFlight: Array<Promise<void>> = [];
  private sequence = 0;
  private readonly failAfter: number | undefined;
  private readonly definition: ObjectDefinition | undefined;
  private readonly known: boolean;

  constructor(
    private readonly host: ProcessHost,
    private readonly job: IngestJob,
  ) {
    this.failAfter = host.ctx.faults.failIngestJobAfterRows();
    this.definition = host.ctx.org.getObject(job.object);
    this.known = this.definition !== undefined;
  }

  /** The upload's header: checked against the object (a bad one fails the job). */
  header(header: string[]): void {
    const job = this.job;
    job.header = header;
    this.columns = header;
    const definition = this.definition;
    const problem = definition
      ? checkHeader(definition, job.operation, header)
      : `Unable to find object: ${job.object}`;
    if (problem) this.failure = problem;
  }

  /** Fails the job with `message`; `rows` (parsed, not yet in a batch) go to the unprocessed records. */
  fail(message: string, rows: string[][]): void {
    this.failure = message;
    this.toUnprocessed(rows, this.sequence++);
  }

  /** Resolves when every batch handed to the pool is applied (`quiet`: their failures are not thrown). */
  async settled(quiet = false): Promise<void> {
    if (quiet) await Promise.allSettled(this.inFlight);
    else await Promise.all(this.inFlight);
  }

  /** Applies one internal batch now, or hands it to the server model's pool. */
  async run(batch: RowBatch): Promise<void> {
    if (batch.count === 0) return;
    const sequence = this.sequence++;
    const model = this.host.model;
    const job = this.job;
    if (!model || this.failure !== undefined || job.abortRequested || !this.known) {
      this.apply(batch, sequence);
      await nextTick();
      return;
    }
    if (this.host.stopping() || !(await model.slots.acquire(job.sleepers))) {
      this.apply(batch, sequence); // aborted (its rows go to unprocessed) or stopping
      return;
    }
    const time = model.min + model.random() * (model.max - model.min);
    const work = this.host
      .sleep(job, time)
      .then(() => this.apply(batch, sequence))
      .finally(() => model.slots.release());
    this.inFlight.push(work);
  }

  /** Applies the rows up to an injected failure point; the rest (or all, after a failure) go to unprocessed. */
  private apply(batch: RowBatch, sequence: number): void {
    const { count, texts, upload } = batch;
    const spans = batch.spans.length === 2 * count ? batch.spans : batch.spans.slice(0, 2 * count);
    const job = this.job;
    if (this.failure !== undefined || job.abortRequested || !this.known) {
      this.toUnprocessed(rowsOf(job, batch, 0, count), sequence);
      return;
    }
    const failAfter = this.failAfter;
    let take = count;
    if (failAfter !== undefined && job.processed + take > failAfter) take = Math.max(0, failAfter - job.processed);
    if (take > 0) {
      const all = take === count;
      this.host.countBatch();
      applyBatch(
        this.host.ctx,
        job,
        this.columns,
        { count: take, rows: (from, to) => rowsOf(job, batch, from, to) },
        all ? texts : texts?.slice(0, take),
        upload,
        all ? spans : spans.slice(0, 2 * take),
        sequence,
      );
    }
    if (take < count) {
      this.failure = `InvalidBatch : Processing stopped after ${failAfter} records (injected failure)`;
      this.toUnprocessed(rowsOf(job, batch, take, count), sequence);
    }
  }

  private toUnprocessed(rows: string[][], sequence: number): void {
    const d = this.job.columnDelimiter;
    addBlock(
      this.job,
      rows.map((row) => row.map(quote).join(d)),
      sequence,
    );
  }
}

/** Puts the results in order (input order, or shuffled) and sets the job's end state. */
function finishJob(host: ProcessHost, job: IngestJob, failure: string | undefined): void {
  if (host.model && !job.random) {
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
  job.systemModstamp = host.ctx.org.clock.millis();
  if ((job.state as IngestState) === 'Aborted') return;
  if (failure !== undefined) {
    job.state = 'Failed';
    job.errorMessage = failure;
  } else {
    job.state = 'JobComplete';
  }
}
