import type { Logger } from '@kicksaw/core';
import type { Connection } from 'jsforce';
import { ExecutionRecordError } from './errors.js';
import { messageOf, type ResolvedExecutionRecordSettings } from './execution-record.js';

/**
 * The lease on a run: the one invocation allowed to send its rows, settle its jobs, park or finish it.
 *
 * Why in Salesforce and not in S3: a lease needs an atomic "create if absent". S3 has one (`PutObject`
 * with `If-None-Match: *`), but fauxqs, the local S3 every test runs against, ignores conditional
 * writes, so a lease built on it could not be tested. The execution object's unique idempotency key
 * field gives the same guarantee in every org this package already needs: generation `g` of the
 * lease is a record whose key is `<run key>:lease:<g>`; taking over inserts generation `g + 1`, and
 * of two invocations racing for it Salesforce lets one insert and refuses the other with
 * `DUPLICATE_VALUE`. The record's `Name` holds its expiry (`lease 3 until 2026-12-05T17:20:00.000Z`) or
 * `lease 3 released`. Lease records are deleted when the run completes or fails.
 *
 * The lease is short (seconds) and kept alive by a heartbeat: a timer renews it every third of its
 * length while the holder works, and stops when the holder parks, finishes or throws (and never keeps
 * the process alive). A holder killed mid-run stops renewing, so its lease runs out within one lease
 * length and the next delivery takes the run over.
 *
 * @internal
 */
export interface RunLease {
  /** The generation held: later generations supersede every earlier one. */
  readonly generation: number;
  /**
   * True while the lease is safely held: not released, not lost, and its expiry more than a safety
   * margin away. Only then may the holder write the run's state (park, complete).
   */
  held(): boolean;
  /**
   * True while the holder may send more rows: {@link held}, and no renewal has failed. A renewal that
   * failed (the record store unreachable past the retries) stops sending for good, while the lease
   * still lasts long enough to park.
   */
  canSend(): boolean;
  /** Why {@link canSend} is false (a failed renewal, a lapse, a takeover), or undefined. */
  readonly stopReason: string | undefined;
  /** Pushes the expiry `leaseMs` further (with a few quick retries), and checks nobody took the run over. */
  renew(): Promise<void>;
  /** Gives the lease up (the run is parked): the next delivery can take it at once. */
  release(): Promise<void>;
  /** Stops the heartbeat without writing anything. */
  stop(): void;
  /**
   * Stops the heartbeat and deletes this lease's record (best effort: a failure is logged and the
   * record left, to run out and be deleted by the run's clean-up). For a taker that cannot go on right
   * after taking the lease, before it did anything under it: a record inserted after the run's clean-up
   * listed the leases would otherwise stay in the execution object.
   */
  discard(): Promise<void>;
}

/** What {@link acquireLease} found. */
export type LeaseAttempt =
  | { acquired: true; lease: RunLease }
  | { acquired: false; generation: number; heldUntil: Date | undefined; ended?: false }
  /** The run ended (completed or failed) while this taker waited for a lease: nothing was inserted. */
  | { acquired: false; ended: true };

interface LeaseRow {
  id: string;
  generation: number;
  expiresAt: number | undefined;
  released: boolean;
}

const NAME = /^lease (\d+) (?:until (\S+)|released)$/;

function leaseKey(runKey: string, generation: number): string {
  return `${runKey}:lease:${generation}`;
}

function soqlString(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'").replaceAll('%', '\\%').replaceAll('_', '\\_')}'`;
}

async function readLeases(
  connection: Connection,
  settings: ResolvedExecutionRecordSettings,
  runKey: string,
): Promise<LeaseRow[]> {
  const pattern = soqlString(`${runKey}:lease:`).slice(0, -1);
  const soql = `SELECT Id, Name, ${settings.idempotencyKeyField} FROM ${settings.object} WHERE ${settings.idempotencyKeyField} LIKE ${pattern}%'`;
  const result = await connection.query<Record<string, unknown>>(soql);
  const rows: LeaseRow[] = [];
  for (const record of result.records) {
    const key = String(record[settings.idempotencyKeyField] ?? '');
    const generation = Number(key.slice(key.lastIndexOf(':') + 1));
    if (!Number.isInteger(generation)) continue;
    const match = NAME.exec(String(record.Name ?? ''));
    const until = match?.[2] ? Date.parse(match[2]) : Number.NaN;
    rows.push({
      id: String(record.Id),
      generation,
      expiresAt: Number.isNaN(until) ? undefined : until,
      released: match !== null && match[2] === undefined,
    });
  }
  return rows;
}

function isDuplicate(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { errorCode?: unknown; name?: unknown }).errorCode ?? (error as { name?: unknown }).name;
  return code === 'DUPLICATE_VALUE';
}

/** The lease with the highest generation, or undefined when the run has none. */
function newestLease(leases: readonly LeaseRow[]): LeaseRow | undefined {
  return leases.reduce<LeaseRow | undefined>(
    (best, row) => (best === undefined || row.generation > best.generation ? row : best),
    undefined,
  );
}

/** A lease somebody still holds: not released, and not known to have run out at `at`. */
function isLive(lease: LeaseRow, at: number): boolean {
  return !lease.released && (lease.expiresAt === undefined || lease.expiresAt > at);
}

/**
 * Inserts generation `generation` of the run's lease, expiring at `expiresAt`. Returns the record's id,
 * or undefined when another invocation inserted that generation first (`DUPLICATE_VALUE`).
 */
async function insertLeaseRecord(
  connection: Connection,
  settings: ResolvedExecutionRecordSettings,
  runKey: string,
  generation: number,
  expiresAt: number,
): Promise<string | undefined> {
  try {
    const created = await connection.sobject(settings.object).create({
      Name: `lease ${generation} until ${new Date(expiresAt).toISOString()}`,
      [settings.idempotencyKeyField]: leaseKey(runKey, generation),
    });
    if (!created.success || !created.id) {
      const errors = 'errors' in created ? created.errors : [];
      if (errors.some(isDuplicate)) return undefined;
      throw new ExecutionRecordError(`Could not create the lease record: ${JSON.stringify(errors)}`);
    }
    return created.id;
  } catch (error) {
    if (isDuplicate(error)) return undefined;
    if (error instanceof ExecutionRecordError) throw error;
    throw new ExecutionRecordError(`Could not create the lease record: ${messageOf(error)}`, { cause: error });
  }
}

/** Past its expiry, how long a taker waits more before it reads a lease it waited for again (clock steps). */
const STALE_WAIT_MARGIN_MS = 50;

/**
 * Takes the lease on a run unless a live one is held. `leaseMs` is how long the lease lasts without a
 * renewal; a heartbeat renews it every third of that while the invocation lives.
 *
 * A live lease with a third of `leaseMs` or less left has missed its holder's renewals (a live holder renews
 * every third of the lease, so it keeps about two thirds of it ahead): its holder is most likely dead (killed,
 * out of memory). Such a lease is waited for, once (`sleep` that long, at most a third of `leaseMs`), and taken
 * over when it has run out; answering "in progress" instead would leave the run until the platform's next
 * delivery, a minute or more for Lambda's retries of an event, where the lease needed seconds. A holder that
 * renews meanwhile keeps its lease: the read after the wait finds it live, and the answer is "in progress".
 *
 * A holder that stopped renewing may also be finishing the run: its clean-up deletes every lease record it
 * lists, and a lease inserted after that listing would be left in the execution object for good. So after
 * the wait, `stillOpen` (the run's record read again) is asked first: when the run ended meanwhile, nothing
 * is inserted and the answer is `ended`.
 *
 * @internal
 */
export async function acquireLease(
  connection: Connection,
  settings: ResolvedExecutionRecordSettings,
  runKey: string,
  options: {
    leaseMs: number;
    logger: Logger;
    now?: () => number;
    sleep?: (ms: number) => Promise<void>;
    /** Asked after a wait, before a takeover: false when the run ended meanwhile. Without it, always open. */
    stillOpen?: () => Promise<boolean>;
  },
): Promise<LeaseAttempt> {
  const now = options.now ?? Date.now;
  let waited = false;
  for (let attempt = 0; attempt < 4; attempt++) {
    const top = newestLease(await readLeases(connection, settings, runKey));
    if (top && isLive(top, now())) {
      const left = top.expiresAt === undefined ? Number.POSITIVE_INFINITY : top.expiresAt - now();
      if (!waited && left <= options.leaseMs / 3) {
        waited = true;
        options.logger.info('lease about to run out without a renewal: waiting for it', {
          generation: top.generation,
          waitMs: left + STALE_WAIT_MARGIN_MS,
        });
        await (options.sleep ?? sleep)(left + STALE_WAIT_MARGIN_MS);
        if (options.stillOpen && !(await options.stillOpen())) return { acquired: false, ended: true };
        continue;
      }
      return {
        acquired: false,
        generation: top.generation,
        heldUntil: top.expiresAt === undefined ? undefined : new Date(top.expiresAt),
      };
    }
    const generation = (top?.generation ?? 0) + 1;
    const expiresAt = now() + options.leaseMs;
    const id = await insertLeaseRecord(connection, settings, runKey, generation, expiresAt);
    if (id === undefined) continue; // another invocation took this generation first: look again
    if (top) {
      options.logger.info(top.released ? 'lease taken over (released)' : 'lease taken over (expired)', {
        generation,
        previous: top.generation,
      });
    }
    const held: HeldLeaseRecord = { connection, settings, runKey, id, generation, expiresAt };
    return { acquired: true, lease: holdLease(held, { leaseMs: options.leaseMs, logger: options.logger, now }) };
  }
  return { acquired: false, generation: 0, heldUntil: undefined };
}

/** The lease record this invocation inserted, and where it lives. */
interface HeldLeaseRecord {
  connection: Connection;
  settings: ResolvedExecutionRecordSettings;
  runKey: string;
  id: string;
  generation: number;
  expiresAt: number;
}

/** Writes a new expiry into the lease record; throws when the write fails or is refused. */
async function writeExpiry(record: HeldLeaseRecord, until: number): Promise<void> {
  const result = await record.connection
    .sobject(record.settings.object)
    .update({ Id: record.id, Name: `lease ${record.generation} until ${new Date(until).toISOString()}` });
  if (!result.success) {
    const errors = 'errors' in result ? result.errors : [];
    throw new ExecutionRecordError(`the update was refused: ${JSON.stringify(errors)}`);
  }
}

/** The generation later than `generation` among the run's lease records, if one was read. */
async function newerGeneration(record: HeldLeaseRecord): Promise<number | undefined> {
  const rows = await readLeases(record.connection, record.settings, record.runKey);
  return rows.find((row) => row.generation > record.generation)?.generation;
}

/**
 * The held lease and its heartbeat.
 * One closure table because renew, release, stop and the heartbeat share the lease's mutable state.
 */
function holdLease(record: HeldLeaseRecord, options: { leaseMs: number; logger: Logger; now: () => number }): RunLease {
  const { now, leaseMs } = options;
  const { generation } = record;
  let expiresAt = record.expiresAt;
  let released = false;
  let stopped = false;
  // Once the lease has lapsed (the heartbeat could not run or could not write in time: a frozen event
  // loop, an outage) or a later generation exists, another delivery may hold the run. A lost lease is
  // lost for good: renewing it, or writing the run's state, would let two invocations send the same rows.
  let lost = false;
  // Why sending stopped: a renewal failed (sending stops at once, parking is still allowed while the
  // lease lasts), or the lease was lost.
  let stopReason: string | undefined;
  const margin = Math.min(5_000, Math.floor(leaseMs / 4));
  const interval = Math.max(50, Math.floor(leaseMs / 3));
  let lastRenewal = expiresAt - leaseMs;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const loseIt = (why: string): ExecutionRecordError => {
    lost = true;
    stopReason ??= why;
    lease.stop();
    options.logger.error(`run lease lost: ${why}; this invocation sends nothing more and leaves the run`, {
      generation,
    });
    return new ExecutionRecordError(`Lease ${generation}: ${why}; the run is left to the next delivery`);
  };
  // A later generation means another delivery judged this lease over (its clock ahead of this one's,
  // or an operator's hand): stop. Not awaited by the heartbeat beyond one beat's wait: jsforce retries
  // a failed read with backoff, and the next renewal must not wait for that. A failed read proves
  // nothing; the next beat reads again.
  let checking: Promise<void> | undefined;
  const checkNewer = async (): Promise<void> => {
    if (checking) return;
    checking = newerGeneration(record)
      .then(
        (newer) => {
          if (newer !== undefined && !lost) loseIt(`generation ${newer} took the run over`);
        },
        () => undefined,
      )
      .finally(() => {
        checking = undefined;
      });
    await Promise.race([checking, sleep(interval / 2)]);
    if (lost) throw new ExecutionRecordError(`Lease ${generation}: ${stopReason ?? 'lost'}`);
  };
  const lease: RunLease = {
    generation,
    held: () => !released && !lost && now() < expiresAt - margin,
    canSend: () => stopReason === undefined && lease.held(),
    get stopReason() {
      return stopReason;
    },
    async renew() {
      if (released || lost) return;
      let lastError: unknown;
      for (let attempt = 1; attempt <= RENEW_ATTEMPTS; attempt++) {
        if (!lease.held()) throw loseIt('it lapsed before it was renewed');
        const sent = now();
        lastRenewal = sent;
        const next = sent + leaseMs;
        try {
          await writeExpiry(record, next);
        } catch (error) {
          lastError = error;
          if (attempt < RENEW_ATTEMPTS) await sleep(RENEW_RETRY_DELAY_MS * attempt);
          continue;
        }
        // The write may have landed after the old expiry, when a taker could already have read it.
        if (now() >= expiresAt - margin) throw loseIt('it was renewed too late to be trusted');
        expiresAt = next;
        options.logger.debug('run lease renewed', { generation, until: new Date(next).toISOString(), attempt });
        await checkNewer();
        return;
      }
      if (stopReason === undefined) {
        stopReason = `the lease could not be renewed: ${messageOf(lastError)}`;
        options.logger.warn('could not renew the run lease: sending stops and the run parks', {
          generation,
          attempts: RENEW_ATTEMPTS,
          error: messageOf(lastError),
        });
      }
      throw new ExecutionRecordError(`Could not renew lease ${generation}: ${messageOf(lastError)}`, {
        cause: lastError,
      });
    },
    async release() {
      lease.stop();
      if (released || lost) return;
      released = true;
      await record.connection
        .sobject(record.settings.object)
        .update({ Id: record.id, Name: `lease ${generation} released` });
    },
    async discard() {
      lease.stop();
      lost = true;
      stopReason ??= 'discarded';
      try {
        const results = await record.connection.sobject(record.settings.object).destroy([record.id]);
        const result = results[0];
        if (result && !result.success && !isAlreadyDeleted(result)) {
          throw new ExecutionRecordError(`delete refused: ${JSON.stringify(result)}`);
        }
      } catch (error) {
        options.logger.warn('could not delete a lease record just taken: it runs out by itself', {
          generation,
          id: record.id,
          error: messageOf(error),
        });
      }
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
  // The heartbeat: one renewal at a time, each due a third of the lease after the one before began.
  // Unreferenced, so it never keeps the process (the invocation) alive; stopped by park, finish or throw.
  const beat = (): void => {
    if (stopped) return;
    timer = setTimeout(
      () => {
        lease
          .renew()
          .catch(() => undefined) // logged by renew; a failed renewal has already stopped sending
          .finally(beat);
      },
      Math.max(0, lastRenewal + interval - now()),
    );
    timer.unref?.();
  };
  beat();
  return lease;
}

/** Renewal attempts per heartbeat before the holder stops sending, and the pause between them. */
const RENEW_ATTEMPTS = 3;
const RENEW_RETRY_DELAY_MS = 100;

/** A delete result that says the record was deleted already (ENTITY_IS_DELETED) or is not there at all. */
function isAlreadyDeleted(result: { errors?: unknown }): boolean {
  const errors = Array.isArray(result.errors)
    ? (result.errors as Array<{ statusCode?: string; errorCode?: string }>)
    : [];
  return (
    errors.length > 0 &&
    errors.every((e) => {
      const code = e.statusCode ?? e.errorCode;
      return code === 'ENTITY_IS_DELETED' || code === 'INVALID_CROSS_REFERENCE_KEY' || code === 'NOT_FOUND';
    })
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Deletes every lease record of a run (it completed or failed: nobody takes it again). Returns how many records are left (0 when all went); a failure is logged as a warning naming
 * the records, never thrown: the run itself is done.
 *
 * @internal
 */
export async function deleteLeases(
  connection: Connection,
  settings: ResolvedExecutionRecordSettings,
  runKey: string,
  logger: Logger,
): Promise<number> {
  // One attempt: jsforce itself retries the read (GET) and the delete (DELETE) on 5xx answers and broken
  // connections, with backoff; what still fails is not going to pass a moment later.
  let leases: LeaseRow[] | undefined;
  let lastError: unknown;
  try {
    leases = await readLeases(connection, settings, runKey);
    const failed: string[] = [];
    for (let start = 0; start < leases.length; start += 200) {
      const ids = leases.slice(start, start + 200).map((row) => row.id);
      const results = await connection.sobject(settings.object).destroy(ids);
      for (const result of results) {
        // Already gone (another delivery's clean-up deleted it first): that is what was wanted.
        if (result.success || isAlreadyDeleted(result)) continue;
        failed.push(JSON.stringify(result));
      }
    }
    if (failed.length === 0) return 0;
    lastError = new ExecutionRecordError(`delete refused: ${failed.join('; ')}`);
  } catch (error) {
    lastError = error;
  }
  const left = leases === undefined ? 1 : Math.max(1, leases.length);
  logger.warn('could not delete the run lease records: they are left in the execution object', {
    object: settings.object,
    records:
      leases === undefined
        ? [`${settings.idempotencyKeyField} LIKE '${runKey}:lease:%' (could not be listed)`]
        : leases.map((row) => `${row.id} (${settings.idempotencyKeyField} = ${leaseKey(runKey, row.generation)})`),
    error: messageOf(lastError),
  });
  return left;
}
