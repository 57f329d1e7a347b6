import type { Logger } from '@kicksaw/core';
import type { Connection } from 'jsforce';
import { ExecutionRecordError, messageOf, type ResolvedExecutionRecordSettings } from './execution-record.js';

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
 * @internal
 */
export interface RunLease {
  /** The generation held: later generations supersede every earlier one. */
  readonly generation: number;
  /** True while the lease is safely held: not released, and its expiry more than a safety margin away. */
  held(): boolean;
  /** Pushes the expiry `leaseMs` further. */
  renew(): Promise<void>;
  /** Gives the lease up (the run is parked): the next delivery can take it at once. */
  release(): Promise<void>;
  /** Stops the heartbeat without writing anything. */
  stop(): void;
}

/** What {@link acquireLease} found. */
export type LeaseAttempt =
  | { acquired: true; lease: RunLease }
  | { acquired: false; generation: number; heldUntil: Date | undefined };

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

/**
 * Takes the lease on a run unless a live one is held. `leaseMs` is how long the lease lasts without a
 * renewal; a heartbeat renews it every third of that while the invocation lives.
 *
 * @internal
 */
export async function acquireLease(
  connection: Connection,
  settings: ResolvedExecutionRecordSettings,
  runKey: string,
  options: { leaseMs: number; logger: Logger; now?: () => number },
): Promise<LeaseAttempt> {
  const now = options.now ?? Date.now;
  const leaseMs = options.leaseMs;
  for (let attempt = 0; attempt < 4; attempt++) {
    const leases = await readLeases(connection, settings, runKey);
    const top = leases.reduce<LeaseRow | undefined>(
      (best, row) => (best === undefined || row.generation > best.generation ? row : best),
      undefined,
    );
    if (top && !top.released && (top.expiresAt === undefined || top.expiresAt > now())) {
      return {
        acquired: false,
        generation: top.generation,
        heldUntil: top.expiresAt === undefined ? undefined : new Date(top.expiresAt),
      };
    }
    const generation = (top?.generation ?? 0) + 1;
    let expiresAt = now() + leaseMs;
    let id: string;
    try {
      const created = await connection.sobject(settings.object).create({
        Name: `lease ${generation} until ${new Date(expiresAt).toISOString()}`,
        [settings.idempotencyKeyField]: leaseKey(runKey, generation),
      });
      if (!created.success || !created.id) {
        const errors = 'errors' in created ? created.errors : [];
        if (errors.some(isDuplicate)) continue;
        throw new ExecutionRecordError(`Could not create the lease record: ${JSON.stringify(errors)}`);
      }
      id = created.id;
    } catch (error) {
      if (isDuplicate(error)) continue; // another invocation took this generation first: look again
      if (error instanceof ExecutionRecordError) throw error;
      throw new ExecutionRecordError(`Could not create the lease record: ${messageOf(error)}`, { cause: error });
    }
    if (top) {
      options.logger.info(top.released ? 'lease taken over (released)' : 'lease taken over (expired)', {
        generation,
        previous: top.generation,
      });
    }
    let released = false;
    let stopped = false;
    // Once the lease has lapsed (the heartbeat could not run or could not write in time: a frozen event
    // loop, an outage), another delivery may have taken generation g + 1 from the expiry it read. A lapsed
    // lease is lost for good: renewing it would let two invocations send the same rows.
    let lost = false;
    const margin = Math.min(5_000, Math.floor(leaseMs / 4));
    const lease: RunLease = {
      generation,
      held: () => !released && !lost && now() < expiresAt - margin,
      async renew() {
        if (released || lost) return;
        if (!lease.held()) {
          lost = true;
          lease.stop();
          throw new ExecutionRecordError(
            `Lease ${generation} lapsed before it was renewed; the run is left to the next delivery`,
          );
        }
        const sent = now();
        const next = sent + leaseMs;
        const result = await connection
          .sobject(settings.object)
          .update({ Id: id, Name: `lease ${generation} until ${new Date(next).toISOString()}` });
        if (!result.success) throw new ExecutionRecordError(`Could not renew lease ${generation}`);
        // The write may have landed after the old expiry, when a taker could already have read it.
        if (now() >= expiresAt - margin) {
          lost = true;
          lease.stop();
          throw new ExecutionRecordError(
            `Lease ${generation} was renewed too late to be trusted; the run is left to the next delivery`,
          );
        }
        expiresAt = next;
      },
      async release() {
        lease.stop();
        if (released) return;
        released = true;
        await connection.sobject(settings.object).update({ Id: id, Name: `lease ${generation} released` });
      },
      stop() {
        if (stopped) return;
        stopped = true;
        clearInterval(timer);
      },
    };
    const timer = setInterval(
      () => {
        lease.renew().catch((error: unknown) => {
          options.logger.warn('could not renew the run lease', { generation, error: messageOf(error) });
        });
      },
      Math.max(50, Math.floor(leaseMs / 3)),
    );
    timer.unref?.();
    return { acquired: true, lease };
  }
  return { acquired: false, generation: 0, heldUntil: undefined };
}

/** Deletes every lease record of a run (it completed or failed: nobody takes it again). @internal */
export async function deleteLeases(
  connection: Connection,
  settings: ResolvedExecutionRecordSettings,
  runKey: string,
): Promise<void> {
  const leases = await readLeases(connection, settings, runKey);
  for (let start = 0; start < leases.length; start += 200) {
    const ids = leases.slice(start, start + 200).map((row) => row.id);
    await connection.sobject(settings.object).destroy(ids);
  }
}
