import { messageOf } from './execution-record.js';
import type { OpenRun } from './open-run.js';
import { deadlineOf, IMPORT_DEFAULTS } from './options.js';
import { union } from './rows.js';
import { type Pass, sendRows } from './send-rows.js';
import type { RowSpool, SpooledRow } from './spool.js';
import type { Progress } from './take-over.js';

// The fourth step: read, map and send what no invocation sent yet. The rows of the spool taken over
// first (not from the file), then the rows never read, until the file is read to its end, the deadline
// comes or the lease stops the sending. Rows left unsent go to `fresh`, with those still unsent of the
// spool taken over: the next invocation reads the file only from past all of them.

/** Sends the rows not sent yet; `progress` says afterwards what is covered, running and left. */
export async function sendRemaining(
  run: OpenRun,
  progress: Progress,
  spools: { carried: RowSpool; fresh: RowSpool },
): Promise<void> {
  const { options, lease, place } = run;
  const { carried, fresh } = spools;
  const deadlinePassed = (): boolean => options.deadline !== undefined && Date.now() >= deadlineOf(options.deadline);
  // A renewal failed (or the lease was lost): no more rows go out; the run parks if it still can.
  const stopSending = (): boolean => {
    if (!lease || lease.canSend()) return false;
    progress.unsentReason = lease.stopReason ?? 'the run lease ran out';
    return true;
  };
  if (carried.count > 0 && !deadlinePassed() && !stopSending()) {
    place.logger.info('sending the rows parked in the spool first', { source: place.source, rows: carried.count });
    await pass(run, progress, fresh, carried.read());
  }
  let attemptsLeft = options.sourceRetries ?? IMPORT_DEFAULTS.sourceRetries;
  const { covered } = progress;
  while (progress.total === null || covered.countThrough(progress.total) < progress.total) {
    // Every row left is in a spool, for the next invocation: nothing to read.
    const { total } = progress;
    if (total !== null && union(covered, union(progress.parked, fresh.rows)).countThrough(total) >= total) break;
    if (deadlinePassed()) {
      progress.unsentReason ??= 'deadline reached';
      break;
    }
    if (stopSending()) break;
    const read = await pass(run, progress, fresh);
    if (read.exhausted) progress.total = read.total;
    if (stopSending() || read.sourceError === undefined) break;
    progress.unsentReason = `the source stream broke: ${messageOf(read.sourceError)}`;
    if (--attemptsLeft < 0) break;
    place.logger.warn('the source stream broke: reading it again from the last row settled or sent', {
      source: place.source,
      error: messageOf(read.sourceError),
    });
  }
}

/** One pass: the rows of `from` (a spool), or of the file past every row covered or spooled. */
async function pass(
  run: OpenRun,
  progress: Progress,
  fresh: RowSpool,
  from?: AsyncIterable<SpooledRow>,
): Promise<Pass> {
  const sent = await sendRows(run.options, run.orchestrator, progress.covered, {
    generation: run.generation,
    counter: progress.counter,
    lease: run.lease,
    place: run.place,
    positions: progress.positions,
    parked: from ? progress.parked : union(progress.parked, fresh.rows),
    spool: fresh,
    ...(from ? { from } : {}),
  });
  progress.jobs = [...progress.jobs, ...sent.pending];
  progress.unsentReason = sent.unsentReason ?? progress.unsentReason;
  return sent;
}
