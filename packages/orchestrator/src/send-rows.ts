import type { Readable } from 'node:stream';
import { isUnsent, KicksawError, OUTCOME_CODES, type RowOutcome, type SalesforceRecord } from '@kicksaw/core';
import { type CsvProblemRow, type CsvRecordRow, type CsvRow, type CsvStart, readCsv } from '@kicksaw/csv';
import { uploadObject } from '@kicksaw/s3';
import { type IngestRun, ingest, type PendingJob, pendingJobRows } from '@kicksaw/sf-bulk';
import type { RunLease } from './lease.js';
import { type CompiledMapping, compileMapping, type ImportMapping } from './mapping.js';
import { type ImportCsvOptions, retrySettingsOf } from './options.js';
import type { Orchestrator } from './orchestrator.js';
import { type RowSet, union } from './rows.js';
import type { CheckpointBody, RunPlace } from './run-state.js';
import { POSITION_EVERY, type SourcePositions } from './source-positions.js';
import type { RowSpool, SpooledRow } from './spool.js';

/** What one reading pass did. */
export interface Pass {
  exhausted: boolean;
  total: number;
  pending: PendingJob[];
  unsentReason: string | null;
  sourceError: unknown;
}

/** What one pass of an invocation sends with: its lease generation, job sequence, place, kept positions. */
interface PassContext {
  generation: number;
  counter: { sequence: number };
  lease: RunLease | undefined;
  place: RunPlace;
  positions: SourcePositions;
  /** Where rows read but not sent go. */
  spool: RowSpool;
  /**
   * The rows come from the file (not from a spool): rows cut off by the deadline before their first
   * job are its tail, left to be read again from the file (see {@link leftInFile}).
   */
  fromFile?: boolean;
  /** Rows of jobs an earlier invocation sent, being collected meanwhile: this pass sends none of them. */
  busy?: RowSet;
  /** True once the pass must send no more rows (the collection beside it failed). */
  halted?: () => boolean;
  /** Called when the engine failed, or keeping an outcome did: a job may still be closing (see `OpenRun.engineMayRun`). */
  engineLeftRunning?: () => void;
}

/**
 * True for a row of the file's tail that the deadline cut off before its first job was created (the
 * rows read last, in the job being built or waiting for a free job slot): the next invocation reads
 * it again from the file, from the kept byte offset before it, instead of this one writing it (with its
 * record) to the spool in S3 while the deadline has passed and reading it back from there. Such rows
 * follow every row this pass sent, so the offset the next pass starts from is not pulled back by them.
 * Retries (rows sent before) and rows of a spool are spooled as before: they are spread through the file.
 */
function leftInFile(outcome: RowOutcome, ctx: PassContext): boolean {
  return (
    ctx.fromFile === true && outcome.errors[0]?.statusCode === OUTCOME_CODES.DEADLINE && (outcome.attempts ?? 0) === 0
  );
}

/** What {@link sendRows} is given beside the pass context. */
type SendRowsContext = PassContext & {
  /** Rows held in a spool: the file pass skips them (they are sent from the spool). */
  parked: RowSet;
  /** Send these rows (a parked spool) instead of reading the file. */
  from?: AsyncIterable<SpooledRow>;
};

/**
 * Reads the source and sends every row not yet covered through the engine, each job checkpointed in
 * S3 before it is closed. Rows with CSV or mapping problems are logged as failed. Rows read but not
 * sent (see {@link unsentReasonOf}) go to `ctx.spool` with their record. With `ctx.from`, the rows
 * come from there (an earlier invocation's spool) instead of the file.
 */
export async function sendRows(
  options: ImportCsvOptions,
  orchestrator: Orchestrator,
  covered: RowSet,
  ctx: SendRowsContext,
): Promise<Pass> {
  if (ctx.from) return sendSpooled(options, orchestrator, covered, { ...ctx, from: ctx.from });
  const source = orchestrator.sourceUri;
  const { start, body } = await openPassSource(orchestrator, covered, ctx);
  let sourceError: unknown;
  body.once('error', (error: unknown) => {
    sourceError = error;
  });
  const reader = readCsv(body, { ...options.csv, source, offsets: true, start });
  // Problems of the file as a whole (empty, binary, a header without a mapped column) surface here, before any job.
  const mapping = compileMapping(options.mapping);
  if (!start) ctx.positions.setFormat(await reader.format());
  mapping.check(await reader.header(), source);
  const read: FileRead = { exhausted: false, seen: start?.position.row ?? 0 };
  const rows = reader[Symbol.asyncIterator]();
  const records = fileRecords(options, orchestrator, covered, ctx, { rows, map: mapping.map, read });
  const sent = await sendThrough(options, orchestrator, covered, { ...ctx, fromFile: true }, records);
  if (!read.exhausted) body.destroy();
  return filePassOf(orchestrator, ctx, sent, read, sourceError);
}

/** How far a file pass read: whether to the end, and the last row number seen. */
interface FileRead {
  exhausted: boolean;
  seen: number;
}

/**
 * Opens the source where the rows not yet settled begin: every row before `start` is covered or
 * spooled, so the pass begins there (a ranged GET) instead of at the top, when the store allows it.
 */
async function openPassSource(
  orchestrator: Orchestrator,
  covered: RowSet,
  ctx: SendRowsContext,
): Promise<{ start: CsvStart | undefined; body: Readable }> {
  const start = ctx.positions.startFor(union(covered, ctx.busy ? union(ctx.parked, ctx.busy) : ctx.parked));
  const body = start ? await orchestrator.openSourceAt(start.position.offset) : undefined;
  if (body === undefined) return { start: undefined, body: await orchestrator.openSource() };
  ctx.place.logger.info('reading the source from where the rows not yet settled begin', {
    source: orchestrator.sourceUri,
    offset: start?.position.offset,
    afterRow: start?.position.row,
  });
  return { start, body };
}

/**
 * The file's rows still to send, mapped to records. Rows covered, spooled or being collected are
 * skipped; rows with a CSV or mapping problem are logged as failed and covered. Updates `read`.
 */
async function* fileRecords(
  options: ImportCsvOptions,
  orchestrator: Orchestrator,
  covered: RowSet,
  ctx: SendRowsContext,
  file: { rows: AsyncIterator<CsvRow>; map: CompiledMapping['map']; read: FileRead },
): AsyncGenerator<{ row: number; record: SalesforceRecord }> {
  const { rows, map, read } = file;
  const key = reportKeyOf(options);
  for (;;) {
    // A failed lease renewal ends the input here: no more rows go out (the pass is not exhausted).
    if (stopsSending(ctx)) return;
    const next = await rows.next();
    if (next.done) {
      read.exhausted = true;
      return;
    }
    const row = next.value;
    read.seen = Math.max(read.seen, row.row);
    if (row.end !== undefined && row.row % POSITION_EVERY === 0) ctx.positions.add(row.end);
    if (covered.has(row.row)) continue; // settled, or sent in a job, by an earlier invocation
    if (ctx.parked.has(row.row)) continue; // in a spool: sent from there
    if (ctx.busy?.has(row.row)) continue; // in a job being collected: settled or spooled from there
    if ('problem' in row) {
      await orchestrator.logOutcome(problemOutcome(row));
      covered.add(row.row);
      continue;
    }
    const mapped = map(row.record, row.row);
    if (mapped.ok) {
      yield { row: row.row, record: mapped.record };
      continue;
    }
    await orchestrator.logOutcome(mappingFailureOf(row, mapped.errors, key));
    covered.add(row.row);
  }
}

/** The external id field and the CSV column it is filled from, when the mapping names a plain column. */
function reportKeyOf(options: ImportCsvOptions): { field: string; column: string } | undefined {
  const field = options.externalIdField;
  const column = field ? sourceColumnOf(options.mapping, field) : undefined;
  return field && column ? { field, column } : undefined;
}

/** The failed outcome of a row the mapping refused. */
function mappingFailureOf(
  row: CsvRecordRow,
  errors: RowOutcome['errors'],
  key: { field: string; column: string } | undefined,
): RowOutcome {
  // The source row, plus its external id under the field's name so the report can show it.
  const record =
    key && !(key.field in row.record) ? { [key.field]: row.record[key.column] ?? '', ...row.record } : row.record;
  return failedOutcome(row, errors, record);
}

/** The file pass's result, with a line when rows are left for the next invocation. */
function filePassOf(
  orchestrator: Orchestrator,
  ctx: SendRowsContext,
  sent: Awaited<ReturnType<typeof sendThrough>>,
  read: FileRead,
  sourceError: unknown,
): Pass {
  const { pending, failure } = sent;
  const unsentReason = sent.unsentReason ?? leaseStopOf(ctx.lease);
  if (failure !== undefined) {
    if (sourceError === undefined) throw failure;
    return { exhausted: false, total: 0, pending, unsentReason, sourceError };
  }
  if (!read.exhausted || unsentReason) {
    ctx.place.logger.warn('not every row was sent: the rest waits for the next invocation', {
      source: orchestrator.sourceUri,
      lastRowRead: read.seen,
      reason: unsentReason ?? 'deadline reached',
    });
  }
  return {
    exhausted: read.exhausted,
    total: read.exhausted ? read.seen : 0,
    pending,
    unsentReason,
    sourceError: undefined,
  };
}

/** Sends the rows of a spool parked by an earlier invocation (those still not covered), first. */
async function sendSpooled(
  options: ImportCsvOptions,
  orchestrator: Orchestrator,
  covered: RowSet,
  ctx: Parameters<typeof sendThrough>[3] & { from: AsyncIterable<SpooledRow> },
): Promise<Pass> {
  async function* records(): AsyncGenerator<{ row: number; record: SalesforceRecord }> {
    for await (const entry of ctx.from) {
      if (stopsSending(ctx)) return; // a failed lease renewal: no more rows go out
      // Sent in a job, or settled, by an invocation since the spool was parked.
      if (covered.has(entry.row) || ctx.busy?.has(entry.row)) continue;
      yield { row: entry.row, record: entry.record };
    }
  }
  const sent = await sendThrough(options, orchestrator, covered, ctx, records());
  if (sent.failure !== undefined) throw sent.failure;
  const unsentReason = sent.unsentReason ?? leaseStopOf(ctx.lease);
  return { exhausted: false, total: 0, pending: sent.pending, unsentReason, sourceError: undefined };
}

/**
 * The engine's part of a pass: every record goes out in a job checkpointed before it is closed; each
 * outcome settles its row, or (not sent, or retries cut short) puts the row and its record in the spool.
 */
async function sendThrough(
  options: ImportCsvOptions,
  orchestrator: Orchestrator,
  covered: RowSet,
  ctx: PassContext,
  records: AsyncIterable<{ row: number; record: SalesforceRecord }>,
): Promise<{ pending: PendingJob[]; unsentReason: string | null; failure: unknown }> {
  const run: IngestRun = ingest({
    // Bulk API jobs even for small inputs: a job is checkpointed before it is closed, while an sObject
    // Collections call retried after a lost answer, or cut by a kill, cannot be told from one never made.
    api: 'bulk',
    ...options.ingest,
    connection: options.connection,
    object: options.object,
    operation: options.operation,
    externalIdField: options.externalIdField,
    records,
    source: orchestrator.sourceUri,
    deadline: options.deadline,
    logger: ctx.place.logger,
    // Write-ahead: a job is closed (and so processed) only once S3 knows it; an invocation taking the
    // run over resumes it by id instead of sending its rows again.
    onJobUploaded: (job) => checkpointJob(options, ctx, job),
  });
  // Filled as outcomes come, so a failure part-way still says why rows were not sent.
  const kept = { unsentReason: null as string | null };
  let failure: unknown;
  try {
    await keepRunOutcomes(options, orchestrator, covered, ctx, run, kept);
    await run.summary();
  } catch (error) {
    failure = error;
    // A failed engine may end with job tasks still under way (a job being closed), and one whose outcomes
    // could not be kept is not read to its end: either way the lease must not be released early.
    ctx.engineLeftRunning?.();
  }
  const pending = run.pendingJobStates();
  for (const job of pending) for (const row of pendingJobRows(job)) covered.add(row);
  return { pending, unsentReason: kept.unsentReason, failure };
}

/** Writes a job's checkpoint (with the source positions not yet saved) before the engine closes it. */
async function checkpointJob(options: ImportCsvOptions, ctx: PassContext, job: PendingJob): Promise<void> {
  // Closing the job is what sends its rows: not once a renewal failed or the lease ran out.
  if (ctx.lease && !ctx.lease.canSend()) {
    throw new KicksawError(
      `the run lease ${ctx.lease.stopReason ? `stopped sending (${ctx.lease.stopReason})` : 'ran out'}: another invocation may hold the run now`,
      { code: 'LEASE_LOST' },
    );
  }
  ctx.counter.sequence += 1;
  const name = `g${String(ctx.generation).padStart(6, '0')}-${String(ctx.counter.sequence).padStart(6, '0')}.json`;
  const positions = ctx.positions.takeUnsaved();
  const checkpoint: CheckpointBody = { version: 2, job, ...(positions ? { positions } : {}) };
  await uploadObject({
    client: options.s3Client,
    bucket: options.bucket,
    key: `${ctx.place.checkpointPrefix}${name}`,
    body: JSON.stringify(checkpoint),
    contentType: 'application/json',
  });
}

/**
 * Settles each outcome of the run (logged, its row covered), or keeps a row not sent for the next
 * invocation (spooled, or left in the file). `kept.unsentReason` gets the first reason a row was not sent.
 */
async function keepRunOutcomes(
  options: ImportCsvOptions,
  orchestrator: Orchestrator,
  covered: RowSet,
  ctx: PassContext,
  run: IngestRun,
  kept: { unsentReason: string | null },
): Promise<void> {
  const retry = retrySettingsOf(options);
  for await (const outcome of run) {
    const reason = unsentReasonOf(outcome, retry);
    if (reason) {
      kept.unsentReason ??= reason;
      // Neither settled nor spooled: the next invocation reads it from the file again.
      if (leftInFile(outcome, ctx)) continue;
      // Kept with its record (when the engine gave it back) so the next invocation sends it first
      // and reads the file only from past it; a row without its record is read from the file again.
      if (outcome.record && Object.keys(outcome.record).length > 0) {
        await ctx.spool.write({ row: outcome.row, line: outcome.line, record: outcome.record });
      }
      continue;
    }
    await orchestrator.logOutcome(outcome);
    covered.add(outcome.row);
  }
}

/**
 * Keeps one outcome (logged, or its row spooled). When that fails, the engine is left running (its
 * outcomes no longer read): `engineLeftRunning` says so before the error goes on. (A failed resume
 * engine needs no such call: it never closes a job, it only reads them and aborts those never closed.)
 */
export async function keepOutcome(
  ctx: Pick<PassContext, 'engineLeftRunning'>,
  keep: () => Promise<void>,
): Promise<void> {
  try {
    await keep();
  } catch (error) {
    ctx.engineLeftRunning?.();
    throw error;
  }
}

/** True once no more rows may go out: the lease stopped sending, or the pass was halted. */
function stopsSending(ctx: PassContext): boolean {
  return (ctx.lease !== undefined && !ctx.lease.canSend()) || ctx.halted?.() === true;
}

/** Why the lease stopped this invocation sending, or null while it may send. */
function leaseStopOf(lease: RunLease | undefined): string | null {
  if (!lease || lease.canSend()) return null;
  return lease.stopReason ?? 'the run lease ran out';
}

/** Why an outcome's row must be sent again, or undefined when the outcome settles the row. */
export function unsentReasonOf(
  outcome: RowOutcome,
  retry: { codes: Set<string>; maxAttempts: number },
): string | undefined {
  const first = outcome.errors[0];
  if (!first) return undefined;
  // A row never sent (so never processed) goes out again later.
  if (isUnsent(outcome)) {
    return first.statusCode === OUTCOME_CODES.DEADLINE ? 'deadline reached' : `${first.statusCode}: ${first.message}`;
  }
  // A retryable failure whose retries were cut short (the deadline came, or a resumed job's retries).
  if (
    outcome.status === 'failed' &&
    (outcome.attempts ?? 1) < retry.maxAttempts &&
    outcome.errors.every((error) => retry.codes.has(error.statusCode))
  ) {
    return `retry of ${first.statusCode}`;
  }
  return undefined;
}

/** The CSV column a `@kicksaw/csv` mapping fills a field from, when it is a plain column. */
export function sourceColumnOf(mapping: ImportMapping, field: string): string | undefined {
  if (typeof mapping === 'function') return undefined;
  const spec = mapping.fields[field];
  if (typeof spec === 'string') return spec;
  if (spec && typeof spec === 'object' && 'from' in spec && typeof spec.from === 'string') return spec.from;
  return undefined;
}

export function problemOutcome(row: CsvProblemRow): RowOutcome {
  const raw = row.problem.raw.length > 200 ? `${row.problem.raw.slice(0, 200)}…` : row.problem.raw;
  return failedOutcome(row, [{ statusCode: row.problem.code, message: row.problem.message, fields: [] }], { raw });
}

/** A row that failed before it was sent: no id, no attempt. */
function failedOutcome(
  row: { row: number; line: number },
  errors: RowOutcome['errors'],
  record: RowOutcome['record'],
): RowOutcome {
  return { row: row.row, line: row.line, status: 'failed', id: null, created: false, errors, record, attempts: 0 };
}
