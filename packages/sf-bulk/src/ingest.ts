// Ingest: the run of one input top to bottom — columns, the choice of API, rows read into jobs, the deadline.
import { OUTCOME_CODES, type RowOutcome, type SalesforceRecord } from '@kicksaw/core';
import { preflightFields } from './describe.js';
import { describeError } from './http.js';
import type { IngestOptions, IngestRun, IngestSummary } from './ingest-types.js';
import { InputReader, itemNotSent, type NormalizedItem, normalizeInput, screen } from './input.js';
import { runRest } from './rest-path.js';
import { Engine } from './run.js';
import { ingestSettingsOf } from './settings.js';

/**
 * Streams rows into Salesforce through Bulk API 2.0 (or sObject Collections for small inputs) and
 * yields exactly one {@link RowOutcome} per input row, matched to its source row by content. Jobs
 * are cut on record boundaries under a byte and a row budget (the first small, `firstJobRows`, each
 * later one up to twice the one before), run up to `maxConcurrentJobs` at a time, and polled by the
 * progress they report. Rows failing with retryable codes are sent again in
 * follow-up jobs. At the `deadline` the run stops waiting and hands running jobs over for
 * {@link resume}. Memory: the open job's CSV (spooled to disk past 1 MiB) and 13-18 bytes a row of the jobs in flight
 * (jobs grow to 98,304 rows with the default budgets).
 *
 * @example
 * ```ts
 * const run = ingest({ connection, object: 'Contact', operation: 'upsert', externalIdField: 'External_Id__c', records });
 * for await (const outcome of run) if (outcome.status !== 'succeeded') await report.write(outcome);
 * const summary = await run.summary(); // { input, succeeded, failed, unprocessed, skipped, pending, ... }
 * ```
 */
export function ingest(options: IngestOptions): IngestRun {
  const settings = ingestSettingsOf(options);
  return new Engine(settings, (engine) => runIngest(engine, options));
}

async function runIngest(engine: Engine, options: IngestOptions): Promise<void> {
  const input = new InputReader(normalizeInput(options.records, options.source));
  const head = await readHead(input);
  const fields = await settleColumns(engine, options, head.firstRecord);

  // Choose the API: small inputs through sObject Collections.
  if (await fitsRest(options, input, head)) {
    engine.useApi('rest');
    await runRest(engine, options, head.buffered, fields);
    return;
  }
  if (head.firstRecord) engine.useApi('bulk');
  await readIntoJobs(engine, input, head);
}

/** The rows taken from the input before the run chose its API. */
interface Head {
  readonly buffered: NormalizedItem[];
  /** The first row with a record (its keys are the columns when `fields` is not given). */
  readonly firstRecord: SalesforceRecord | undefined;
  /** Whether the input has no rows left. */
  exhausted: boolean;
}

/** Reads up to the first record, keeping what it read. */
async function readHead(input: InputReader): Promise<Head> {
  const buffered: NormalizedItem[] = [];
  let firstRecord: SalesforceRecord | undefined;
  while (!firstRecord) {
    const next = await input.next();
    if (!next) return { buffered, firstRecord, exhausted: true };
    buffered.push(next);
    if ('record' in next) firstRecord = next.record;
  }
  return { buffered, firstRecord, exhausted: false };
}

/**
 * Finds the columns (the `fields` option, or the keys of the first record), checks them against the
 * object's describe unless `preflight` is off, and gives them to the engine; returns their API spelling.
 */
async function settleColumns(
  engine: Engine,
  options: IngestOptions,
  firstRecord: SalesforceRecord | undefined,
): Promise<string[]> {
  const sourceKeys = options.fields ?? (firstRecord ? Object.keys(firstRecord) : []);
  let fields = sourceKeys;
  let externalIdField = options.externalIdField;
  let sortBy = engine.s.sortBy;
  if (firstRecord && options.preflight !== false) {
    const checked = await preflightFields(engine.s.ctx, {
      object: options.object,
      operation: options.operation,
      fields: sourceKeys,
      externalIdField: options.externalIdField,
    });
    fields = checked.apiFields;
    externalIdField = checked.externalIdField ?? externalIdField;
    if (sortBy) {
      const sort = sortBy.toLowerCase();
      sortBy = fields.find((f, i) => f.toLowerCase() === sort || sourceKeys[i]?.toLowerCase() === sort) ?? sortBy;
    }
  }
  engine.setColumns(fields, sourceKeys, { externalIdField, sortBy });
  return fields;
}

/**
 * Whether the whole input goes through sObject Collections: reads on while it could (up to `restMaxRows`,
 * or all of it with `api: 'rest'`) and answers true when the input ended within that.
 */
async function fitsRest(options: IngestOptions, input: InputReader, head: Head): Promise<boolean> {
  const api = options.api ?? 'auto';
  const restMax = options.restMaxRows ?? 200;
  if (api === 'bulk' || options.operation === 'hardDelete' || !head.firstRecord) return false;
  while (!head.exhausted && (api === 'rest' || head.buffered.length <= restMax)) {
    const next = await input.next();
    if (!next) head.exhausted = true;
    else head.buffered.push(next);
  }
  return head.exhausted;
}

/**
 * Reads every row into jobs until the input ends or the deadline passes, then finishes the jobs. The
 * per-row loop stays in this one function: it is every row's hot path, and its deadline state spans
 * the buffered rows, the batches and the rows left in hand.
 */
async function readIntoJobs(engine: Engine, input: InputReader, head: Head): Promise<void> {
  const s = engine.s;
  const { buffered, exhausted } = head;
  /** Reads one row into a job; a promise only when that has to wait (see JobLauncher.addRow). */
  const handle = (item: NormalizedItem): Promise<void> | undefined => {
    engine.countRead();
    const screened = screen(engine, item);
    if ('outcome' in screened) return engine.emit(screened.outcome);
    return engine.launcher.addRow(item.row, screened.cells, 1);
  };

  /** A row taken from the input after the deadline: never sent, still accounted for. */
  const settleUnsent = async (item: NormalizedItem): Promise<void> => {
    engine.countRead();
    await engine.emit(
      itemNotSent(item, 'unprocessed', {
        statusCode: OUTCOME_CODES.DEADLINE,
        message: 'Not sent: the deadline passed before it was read into a job',
        fields: [],
      }),
    );
  };

  let stoppedByDeadline = false;
  let sinceYield = 0;
  for (const item of buffered) {
    if (!stoppedByDeadline && engine.deadlinePassed()) stoppedByDeadline = true;
    // Taken from the input already (to choose the API), so it must still get its outcome.
    if (stoppedByDeadline) await settleUnsent(item);
    else await handle(item);
  }
  buffered.length = 0;
  try {
    reading: while (!stoppedByDeadline && !exhausted) {
      const batch = await input.nextBatch();
      if (!batch) break;
      for (let i = 0; i < batch.length; i++) {
        if (engine.deadlinePassed()) {
          // Taken from the input already (in this batch), so they must still get their outcomes.
          stoppedByDeadline = true;
          for (let j = i; j < batch.length; j++) await settleUnsent(batch[j] as NormalizedItem);
          break reading;
        }
        const waiting = handle(batch[i] as NormalizedItem);
        if (waiting) await waiting;
        if (engine.launcher.retriesReady()) await engine.launcher.flushRetries();
        // A synchronous input never yields to the event loop: let uploads and polls of running jobs move.
        if (++sinceYield === 1000) {
          sinceYield = 0;
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      }
    }
  } catch (error) {
    // The input broke (a stream error, a bad file): settle the rows already read, then fail the run.
    s.logger.error('Reading the input failed; settling the rows already read', { error: describeError(error) });
    await engine.launcher.finish().catch(() => undefined);
    throw error;
  }
  if (stoppedByDeadline) {
    // Rows of a batch already taken from the input (but not read into a job) get their outcome too.
    for (let item = input.takeInHand(); item; item = input.takeInHand()) await settleUnsent(item);
    s.logger.warn('Deadline reached while reading input: reading stopped', { rowsRead: engine.progress.rowsRead });
    await input.close();
  }
  await engine.launcher.finish();
}

/**
 * {@link ingest} for inputs that fit in memory: collects every outcome.
 *
 * @example
 * ```ts
 * const { outcomes, summary } = await ingestAll({ connection, object: 'Account', operation: 'insert', records: [{ Name: 'Acme' }] });
 * ```
 */
export async function ingestAll(
  options: IngestOptions,
): Promise<{ outcomes: RowOutcome[]; summary: IngestSummary; pendingJobs: string[] }> {
  const run = ingest(options);
  const outcomes: RowOutcome[] = [];
  for await (const outcome of run) outcomes.push(outcome);
  return { outcomes, summary: await run.summary(), pendingJobs: run.pendingJobs() };
}
