import { withLeft } from './claim.js';
import { complete, giveUp } from './finish.js';
import type { ImportCsvResult } from './import-csv.js';
import { type OpenRun, writeState } from './open-run.js';
import { IMPORT_DEFAULTS } from './options.js';
import type { Orchestrator } from './orchestrator.js';
import { assertLeaseHeld, parkRun } from './park.js';
import { cleanUp, type ParkedState } from './run-state.js';
import type { Spools } from './send-remaining.js';
import type { Progress } from './take-over.js';

// The last step of an invocation, once it sent what it could: complete the run (report, archive,
// record) when every row has its outcome, give the rows never sent up when the run stalled too long or
// is too old, else park it for the next invocation.

/** Completes, gives up or parks the run, by where `progress` says it stands. */
export async function endInvocation(run: OpenRun, progress: Progress, spools: Spools): Promise<ImportCsvResult> {
  const { options, orchestrator, state, place } = run;
  const { covered, total, jobs, unsentReason } = progress;
  if (total !== null && covered.countThrough(total) === total && jobs.length === 0) {
    orchestrator.summary.input = total;
    return completeRun(run);
  }
  // A stall is an invocation that settled nothing because rows could not be sent (not merely because
  // its deadline came: that is bounded by maxRunAgeMs).
  const progressed = covered.size() > progress.settledBefore || (state?.jobs.length ?? 0) > jobs.length;
  const stalled = !progressed && unsentReason !== null && unsentReason !== 'deadline reached';
  const stalls = progressed ? 0 : (state?.stalls ?? 0) + (stalled ? 1 : 0);
  const age = Date.now() - Date.parse(run.startedAt);
  const maxStalls = options.maxStalledAttempts ?? IMPORT_DEFAULTS.maxStalledAttempts;
  const maxAge = options.maxRunAgeMs ?? IMPORT_DEFAULTS.maxRunAgeMs;
  if (jobs.length === 0 && (stalls >= maxStalls || age >= maxAge)) {
    const why =
      `Not sent: ${stalls >= maxStalls ? `${stalls} invocations in a row could not send it` : `the run is older than ${Math.round(maxAge / 60_000)} min`}` +
      (unsentReason ? ` (last: ${unsentReason})` : '');
    place.logger.error('giving up the rows never sent: they are reported, the run completes with errors', {
      source: place.source,
      reason: why,
    });
    assertLeaseHeld(run.lease);
    const final = await giveUp(options, orchestrator, covered, why);
    orchestrator.summary.input = final.total;
    return completeRun(run);
  }
  for (const spool of [spools.carried, spools.resent]) {
    for await (const entry of spool.read()) {
      if (!covered.has(entry.row)) await spools.fresh.write(entry);
    }
  }
  return parkRun(options, run.settings, orchestrator, {
    rows: spools.fresh,
    covered,
    positions: progress.positions,
    total,
    jobs,
    generation: run.generation,
    stalls,
    startedAt: run.startedAt,
    unsentReason,
    place,
    lease: run.lease,
  });
}

/**
 * Report, archive, record (see `complete`), then the run's state and leases go. A marker written once
 * the report is up lets an invocation cut off before the archive or the record finish the same steps.
 */
export async function completeRun(run: OpenRun): Promise<ImportCsvResult> {
  const { options, settings, place, orchestrator } = run;
  const markReported = async (done: Orchestrator) => {
    if (done.uploadedReport && !run.state?.completing) {
      await writeState(run, { completing: { summary: { ...done.summary }, report: done.uploadedReport } });
    }
  };
  assertLeaseHeld(run.lease);
  const result = await complete(settings, orchestrator, place.logger, markReported);
  const record = settings ? { connection: options.connection, settings } : undefined;
  return withLeft(result, await cleanUp(options.s3Client, options.bucket, place, record));
}

/** Every row was settled and reported by an invocation cut off before the archive or the record. */
export async function finishReported(
  run: OpenRun,
  completing: ParkedState['completing'] & {},
): Promise<ImportCsvResult> {
  run.place.logger.info('finishing a run whose report is up: archive and record', { source: run.place.source });
  Object.assign(run.orchestrator.summary, completing.summary);
  run.orchestrator.uploadedReport = completing.report;
  return completeRun(run);
}
