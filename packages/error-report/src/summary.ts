import type { RowOutcome, SalesforceError } from '@kicksaw/core';
import { type ErrorSelection, reportableErrors } from './errors-of.js';

/**
 * Counts of one object's outcomes.
 *
 * @example
 * ```ts
 * const contact: ObjectCounts | undefined = summarize(outcomes, { object: 'Contact' }).byObject.Contact;
 * ```
 */
export interface ObjectCounts {
  /** Outcomes seen. */
  rows: number;
  succeeded: number;
  failed: number;
  unprocessed: number;
  skipped: number;
  /** Of the succeeded rows, how many created a record. */
  created: number;
  /** Error lines, as an error report would write them (one per error). */
  errors: number;
  /** Error lines by Salesforce status code. */
  byErrorCode: Record<string, number>;
}

/**
 * What {@link summarize} returns: totals, then the same counts by object and by error code.
 *
 * @example
 * ```ts
 * const { failed, byErrorCode }: OutcomeSummary = summarize(outcomes);
 * ```
 */
export interface OutcomeSummary extends ObjectCounts {
  /** Counts by Salesforce object (`'unknown'` when an outcome's object was not given). */
  byObject: Record<string, ObjectCounts>;
}

/**
 * An outcome, optionally tagged with its Salesforce object.
 *
 * @example
 * ```ts
 * summarize([...accountOutcomes.map((o) => ({ ...o, object: 'Account' })), ...contactOutcomes.map((o) => ({ ...o, object: 'Contact' }))]);
 * ```
 */
export type SummarizableOutcome = Pick<RowOutcome<unknown>, 'row' | 'status' | 'created' | 'errors'> & {
  object?: string;
};

/**
 * Options of {@link summarize}.
 *
 * @example
 * ```ts
 * summarize(outcomes, { object: 'Contact', includeSkipped: false });
 * ```
 */
export interface SummarizeOptions extends ErrorSelection {
  /** The object of outcomes that carry no `object` of their own. Default `'unknown'`. */
  object?: string;
}

/**
 * The object name used when none is known.
 *
 * @example
 * ```ts
 * summarize(outcomes).byObject[UNKNOWN_OBJECT];
 * ```
 */
export const UNKNOWN_OBJECT = 'unknown';

function emptyCounts(): ObjectCounts {
  return { rows: 0, succeeded: 0, failed: 0, unprocessed: 0, skipped: 0, created: 0, errors: 0, byErrorCode: {} };
}

function add(counts: ObjectCounts, outcome: SummarizableOutcome, errors: readonly SalesforceError[]): void {
  counts.rows += 1;
  counts[outcome.status] += 1;
  if (outcome.status === 'succeeded' && outcome.created) counts.created += 1;
  for (const { statusCode } of errors) {
    counts.errors += 1;
    counts.byErrorCode[statusCode] = (counts.byErrorCode[statusCode] ?? 0) + 1;
  }
}

/**
 * Accumulates a summary one outcome at a time (for outcomes that stream by).
 *
 * @example
 * ```ts
 * const summarizer = new OutcomeSummarizer();
 * for await (const outcome of run) summarizer.add(outcome, 'Contact');
 * logger.info('run summary', { ...summarizer.result() });
 * ```
 */
export class OutcomeSummarizer {
  private readonly total = emptyCounts();
  private readonly objects = new Map<string, ObjectCounts>();

  constructor(private readonly selection: ErrorSelection = {}) {}

  /** Counts one outcome under `object` (or the outcome's own `object`, or `'unknown'`). */
  add(outcome: SummarizableOutcome, object?: string): this {
    const name = outcome.object ?? object ?? UNKNOWN_OBJECT;
    const errors = reportableErrors(outcome, this.selection);
    add(this.total, outcome, errors);
    let counts = this.objects.get(name);
    if (counts === undefined) {
      counts = emptyCounts();
      this.objects.set(name, counts);
    }
    add(counts, outcome, errors);
    return this;
  }

  /** A snapshot of the counts so far (object names and codes sorted). */
  result(): OutcomeSummary {
    const byObject: Record<string, ObjectCounts> = {};
    for (const name of [...this.objects.keys()].sort()) {
      byObject[name] = copy(this.objects.get(name) as ObjectCounts);
    }
    return { ...copy(this.total), byObject };
  }
}

function copy(counts: ObjectCounts): ObjectCounts {
  const byErrorCode: Record<string, number> = {};
  for (const code of Object.keys(counts.byErrorCode).sort()) byErrorCode[code] = counts.byErrorCode[code] as number;
  return { ...counts, byErrorCode };
}

/**
 * Counts outcomes by status, by Salesforce object and by error code, for logs and execution
 * records. Errors are counted as an error report would write them: one per error of each failed,
 * unprocessed or (with a reason) skipped row; a failed row without detail counts once as
 * `KICKSAW_NO_ERROR_DETAIL`.
 *
 * @example
 * ```ts
 * const summary = summarize(outcomes, { object: 'Contact' });
 * summary.byErrorCode; // { DUPLICATE_VALUE: 3, REQUIRED_FIELD_MISSING: 1 }
 * summary.byObject.Contact?.failed; // 4
 * ```
 */
export function summarize(outcomes: Iterable<SummarizableOutcome>, options: SummarizeOptions = {}): OutcomeSummary {
  const summarizer = new OutcomeSummarizer(options);
  for (const outcome of outcomes) summarizer.add(outcome, options.object);
  return summarizer.result();
}
