import { pendingJobRows } from '@kicksaw/sf-bulk';
import { messageOf } from './execution-record.js';
import type { OpenRun } from './open-run.js';
import { deadlineOf } from './options.js';
import { RowSet, union } from './rows.js';
import { type Pass, sendRows } from './send-rows.js';
import { settleJobs } from './settle-jobs.js';
import type { RowSpool, SpooledRow } from './spool.js';
import type { Progress } from './take-over.js';

// The fourth step: collect the jobs earlier invocations sent, and meanwhile read, map and send what no
// invocation sent yet: the rows of the spool taken over (not from the file), then the rows never read,
// until the file is read to its end, the deadline comes or the lease stops the sending. Both go on at
// once (a takeover does not wait for the parked jobs before it sends), each row handled by one of them:
// the sending skips the rows of the jobs being collected. Rows of those jobs to send again (retries cut
// short, jobs that never ran) are sent once the collection is done. Rows left unsent go to `fresh`, with
// those still unsent of the spools: the next invocation reads the file only from past all of them.

/** The spools of rows read but not sent: taken over, to send again from collected jobs, and left now. */
export interface Spools {
  /** Parked by an earlier invocation. */
  carried: RowSpool;
  /** Rows of collected jobs to send again, with the record Salesforce echoed. */
  resent: RowSpool;
  /** Left unsent by this invocation, for the next one. */
  fresh: RowSpool;
}

/** Collects the jobs sent earlier and sends the rows not sent yet; `progress` says afterwards what is left. */
export async function sendRemaining(run: OpenRun, progress: Progress, spools: Spools): Promise<void> {
  const busy = new RowSet();
  for (const job of progress.resumed) for (const row of pendingJobRows(job)) busy.add(row);
  let collectionFailed = false;
  const collecting = collect(run, progress, spools.resent).catch((error: unknown) => {
    collectionFailed = true;
    throw error;
  });
  const sending = (async () => {
    const halted = () => collectionFailed;
    if (spools.carried.count > 0 && mayStillSend(run, progress)) {
      run.place.logger.info('sending the rows parked in the spool first', {
        source: run.place.source,
        rows: spools.carried.count,
      });
      await pass(run, progress, spools.fresh, { from: spools.carried.read(), busy, halted });
    }
    await readFile(run, progress, spools.fresh, { busy, halted });
  })();
  const [collected, sent] = await Promise.allSettled([collecting, sending]);
  if (collected.status === 'rejected') throw collected.reason;
  if (sent.status === 'rejected') throw sent.reason;
  if (progress.resumed.length === 0) return;
  // The rows of the collected jobs to send again: from the spool when Salesforce echoed their record, else
  // from the file (a job that never ran).
  for (const row of spools.resent.rows.values()) progress.parked.add(row);
  if (spools.resent.count > 0 && mayStillSend(run, progress)) {
    await pass(run, progress, spools.fresh, { from: spools.resent.read() });
  }
  await readFile(run, progress, spools.fresh, {});
}

/**
 * Collects the jobs earlier invocations sent, by id (see `settleJobs`): their rows are covered at once,
 * rows to send again leave `covered` and go to `resent`, jobs still running at the deadline stay pending.
 */
async function collect(run: OpenRun, progress: Progress, resent: RowSpool): Promise<void> {
  if (progress.resumed.length === 0) return;
  const { options, orchestrator, place } = run;
  const settled = await settleJobs(
    options,
    orchestrator,
    progress.resumed,
    progress.covered,
    place.logger,
    resent,
    () => {
      run.engineMayRun = true;
    },
  );
  progress.jobs = [...progress.jobs, ...settled.pending];
  progress.unsentReason ??= settled.unsentReason;
}

/**
 * Passes over the file until every row is covered or spooled, the deadline comes, the lease stops the
 * sending, or the source broke more often than `sourceRetries` allows.
 */
async function readFile(
  run: OpenRun,
  progress: Progress,
  fresh: RowSpool,
  how: { busy?: RowSet; halted?: () => boolean },
): Promise<void> {
  const { place } = run;
  const { covered } = progress;
  while (progress.total === null || covered.countThrough(progress.total) < progress.total) {
    // Every row left is in a spool, for the next invocation: nothing to read.
    const { total } = progress;
    if (total !== null && union(covered, union(progress.parked, fresh.rows)).countThrough(total) >= total) break;
    if (!mayStillSend(run, progress) || how.halted?.()) break;
    const read = await pass(run, progress, fresh, how);
    if (read.exhausted) progress.total = read.total;
    if (stopped(run, progress) || read.sourceError === undefined) break;
    progress.unsentReason = `the source stream broke: ${messageOf(read.sourceError)}`;
    if (--progress.sourceAttemptsLeft < 0) break;
    place.logger.warn('the source stream broke: reading it again from the last row settled or sent', {
      source: place.source,
      error: messageOf(read.sourceError),
    });
  }
}

/** False once the deadline passed or the lease stopped the sending (the reason is kept in `progress`). */
function mayStillSend(run: OpenRun, progress: Progress): boolean {
  const { deadline } = run.options;
  if (deadline !== undefined && Date.now() >= deadlineOf(deadline)) {
    progress.unsentReason ??= 'deadline reached';
    return false;
  }
  return !stopped(run, progress);
}

/** A renewal failed (or the lease was lost): no more rows go out; the run parks if it still can. */
function stopped(run: OpenRun, progress: Progress): boolean {
  const { lease } = run;
  if (!lease || lease.canSend()) return false;
  progress.unsentReason = lease.stopReason ?? 'the run lease ran out';
  return true;
}

/** One pass: the rows of `from` (a spool), or of the file past every row covered, spooled or busy. */
async function pass(
  run: OpenRun,
  progress: Progress,
  fresh: RowSpool,
  how: { from?: AsyncIterable<SpooledRow>; busy?: RowSet; halted?: () => boolean },
): Promise<Pass> {
  const sent = await sendRows(run.options, run.orchestrator, progress.covered, {
    generation: run.generation,
    counter: progress.counter,
    lease: run.lease,
    place: run.place,
    positions: progress.positions,
    parked: how.from ? progress.parked : union(progress.parked, fresh.rows),
    spool: fresh,
    ...(how.from ? { from: how.from } : {}),
    ...(how.busy ? { busy: how.busy } : {}),
    ...(how.halted ? { halted: how.halted } : {}),
    engineLeftRunning: () => {
      run.engineMayRun = true;
    },
  });
  progress.jobs = [...progress.jobs, ...sent.pending];
  progress.unsentReason = sent.unsentReason ?? progress.unsentReason;
  return sent;
}
