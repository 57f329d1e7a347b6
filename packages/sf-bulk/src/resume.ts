// Resume: jobs an ingest handed over (at its deadline, or when their results could not be read) collected to their outcomes.
import { ConfigError, emptySummary, InputError } from '@kicksaw/core';
import type { IngestOptions, IngestRetryOptions, IngestRun, IngestSummary, PendingJob } from './ingest-types.js';
import { RowIndex } from './row-index.js';
import { Engine } from './run.js';
import { collectJob } from './run-job.js';
import { settingsOf } from './settings.js';

/**
 * Options of {@link resume}.
 *
 * @example
 * ```ts
 * resume({ connection, jobs: JSON.parse(saved), deadline: Date.now() + 60_000 } satisfies ResumeOptions);
 * ```
 */
export interface ResumeOptions
  extends Pick<
    IngestOptions,
    | 'connection'
    | 'pollIntervalMs'
    | 'maxPollIntervalMs'
    | 'deadline'
    | 'logger'
    | 'onProgress'
    | 'http'
    | 'spoolDirectory'
    | 'maxConcurrentJobs'
  > {
  /** Jobs from {@link IngestRun.pendingJobStates} (JSON, possibly from another process). */
  jobs: PendingJob[];
  /**
   * Abort jobs found still `Open` (uploaded but never closed: their uploader died, e.g. a checkpoint
   * written by `onJobUploaded` just before a crash) and report their rows unprocessed with
   * `KICKSAW_JOB_NOT_STARTED`: they were never processed. Default false (an Open job is waited for).
   * Only for jobs no live process still owns.
   */
  abortOpenJobs?: boolean;
  /** Override the jobs' retry settings (e.g. `{ maxAttempts: 1 }`: no retries, every row settles as its job ended). */
  retry?: IngestRetryOptions;
}

/**
 * Collects jobs an ingest left running at its deadline and yields the outcomes the ingest would
 * have yielded for their rows (retries included). Can meet its own deadline and hand over again.
 *
 * @example
 * ```ts
 * const first = ingest({ ...options, deadline: Date.now() + 60_000 });
 * for await (const outcome of first) save(outcome);
 * const state = first.pendingJobStates(); // JSON: store it
 * for await (const outcome of resume({ connection, jobs: state })) save(outcome);
 * ```
 */
export function resume(options: ResumeOptions): IngestRun {
  if (!options?.connection) throw new ConfigError('is required', { setting: 'connection' });
  const jobs = options.jobs ?? [];
  const groups = new Map<string, PendingJob[]>();
  for (const job of jobs) {
    if (job?.version !== 1 || !job.jobId || !job.index) {
      throw new InputError('Not a pending job state from ingest().pendingJobStates()', { field: 'jobs' });
    }
    const key = JSON.stringify([job.object, job.operation, job.externalIdField, job.fields, job.retry]);
    groups.set(key, [...(groups.get(key) ?? []), job]);
  }
  const groupList = [...groups.values()];
  if (groupList.length > 1) {
    // One run per shape of job; outcomes are concatenated.
    const runs = groupList.map((group) => resume({ ...options, jobs: group }));
    return combineRuns(runs);
  }
  const first = jobs[0];
  const settings = settingsOf(
    {
      ...options,
      object: first?.object ?? 'unknown',
      operation: first?.operation ?? 'insert',
      ...(first?.externalIdField ? { externalIdField: first.externalIdField } : {}),
      retry: { ...first?.retry, ...options.retry },
    },
    options.abortOpenJobs ?? false,
  );
  return new Engine(settings, async (engine) => {
    if (!first) return;
    engine.useApi('bulk');
    engine.setColumns(first.fields, first.fields);
    await Promise.all(
      jobs.map(async (job) => {
        engine.countResumed(job.rows);
        const index = RowIndex.fromJSON(job.index);
        try {
          await collectJob(engine, job.jobId, index, undefined);
        } finally {
          index.dispose();
        }
      }),
    );
    await engine.launcher.finish();
  });
}

/**
 * The input row numbers a pending job holds, in job order (e.g. to know which rows a checkpointed job
 * covers without resuming it).
 *
 * @example
 * ```ts
 * for (const row of pendingJobRows(job)) sent.add(row);
 * ```
 */
export function pendingJobRows(job: PendingJob): Uint32Array {
  const bytes = Buffer.from(job.index.rows, 'base64');
  const rows = new Uint32Array(bytes.length >>> 2);
  new Uint8Array(rows.buffer).set(bytes.subarray(0, rows.length * 4));
  return rows;
}

function combineRuns(runs: IngestRun[]): IngestRun {
  let summaryPromise: Promise<IngestSummary> | undefined;
  return {
    async *[Symbol.asyncIterator]() {
      for (const run of runs) yield* run;
    },
    summary() {
      summaryPromise ??= Promise.all(runs.map((run) => run.summary())).then((all) =>
        all.reduce(
          (total, s) => ({
            input: total.input + s.input,
            succeeded: total.succeeded + s.succeeded,
            failed: total.failed + s.failed,
            unprocessed: total.unprocessed + s.unprocessed,
            skipped: total.skipped + s.skipped,
            created: (total.created ?? 0) + (s.created ?? 0),
            pending: total.pending + s.pending,
            pendingJobIds: [...total.pendingJobIds, ...s.pendingJobIds],
            jobs: total.jobs + s.jobs,
            retried: total.retried + s.retried,
            unmatchedResults: total.unmatchedResults + s.unmatchedResults,
            api: 'bulk' as const,
          }),
          {
            ...emptySummary(),
            pending: 0,
            pendingJobIds: [] as string[],
            jobs: 0,
            retried: 0,
            unmatchedResults: 0,
            api: 'bulk' as IngestSummary['api'],
          },
        ),
      );
      return summaryPromise;
    },
    pendingJobs: () => runs.flatMap((run) => run.pendingJobs()),
    pendingJobStates: () => runs.flatMap((run) => run.pendingJobStates()),
  };
}
