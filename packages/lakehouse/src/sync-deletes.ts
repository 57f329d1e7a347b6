/**
 * Finding hard deletes before the transaction (API calls): the replication API (`sobjects/{T}/deleted`) while
 * the last check is inside its window, else (or when it cannot answer) an Id reconciliation. Applied to the
 * table inside the transaction (sync-apply.ts).
 */
import { LakehouseError } from './errors.js';
import type { ObjectSyncSummary } from './sync-options.js';
import type { ObjectPlan, SyncContext } from './sync-plan.js';
import { readIds } from './sync-read.js';
import { toSqlValue } from './types.js';

const REPLICATION_WINDOW_MS = 15 * 24 * 3600_000;

/** What the delete check found. */
export interface FoundDeletes {
  /** Ids the replication API reported deleted, with when. */
  deletedIds: { id: string; deletedAt: string }[] | undefined;
  /** The ids table holds every Id of the object: rows not in it are deleted. */
  reconcile: boolean;
  /** How far the check covered (kept in the state). */
  deletesCheckedAt: Date | null;
}

/** Looks for hard deletes the way `options.deletes` says (an incremental sync of an object with IsDeleted only). */
export async function findDeletes(
  context: SyncContext,
  plan: ObjectPlan,
  summary: ObjectSyncSummary,
  runNow: Date,
): Promise<FoundDeletes> {
  const { options, logger } = context;
  const found: FoundDeletes = {
    deletedIds: undefined,
    reconcile: false,
    deletesCheckedAt: plan.state?.deletesCheckedAt ?? null,
  };
  if (plan.full || !plan.hasIsDeleted) return found;
  const mode = options.deletes ?? 'auto';
  const last = plan.state?.deletesCheckedAt ?? plan.state?.lastSyncAt ?? null;
  const inWindow = last !== null && runNow.getTime() - last.getTime() < REPLICATION_WINDOW_MS;
  if (mode === 'replication' || (mode === 'auto' && inWindow)) {
    try {
      const replicated = await replicationDeleted(context, plan.objectName, last ?? runNow, runNow);
      found.deletedIds = replicated.ids;
      found.deletesCheckedAt = replicated.latestDateCovered;
      summary.deleteCheck = 'replication';
    } catch (error) {
      if (mode === 'replication') throw error;
      logger.info('Replication API could not answer; reconciling Ids instead', {
        object: plan.objectName,
        reason: error instanceof Error ? error.message : String(error),
      });
      found.reconcile = true;
    }
  } else if (mode === 'reconcile' || mode === 'auto') found.reconcile = true;
  if (found.reconcile) {
    options.onProgress?.({ object: plan.objectName, phase: 'deletes', rows: 0 });
    await readIds(context, plan);
    found.deletesCheckedAt = runNow;
    summary.deleteCheck = 'reconcile';
  }
  return found;
}

interface ReplicationDeleted {
  deletedRecords?: { id: string; deletedDate: string }[];
  earliestDateAvailable?: string;
  latestDateCovered?: string;
}

async function replicationDeleted(
  context: SyncContext,
  object: string,
  start: Date,
  end: Date,
): Promise<{ ids: { id: string; deletedAt: string }[]; latestDateCovered: Date }> {
  const lookback = context.options.lookbackMs ?? 600_000;
  const from = new Date(start.getTime() - lookback);
  const to = end.getTime() - from.getTime() < 60_000 ? new Date(from.getTime() + 60_000) : end;
  const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const result = (await context.options.connection.request(
    `/sobjects/${encodeURIComponent(object)}/deleted/?start=${encodeURIComponent(iso(from))}&end=${encodeURIComponent(iso(to))}`,
  )) as unknown as ReplicationDeleted;
  const earliest = result.earliestDateAvailable ? new Date(result.earliestDateAvailable) : undefined;
  if (earliest && earliest.getTime() > from.getTime()) {
    throw new LakehouseError(
      `The replication API's deleted records of ${object} start at ${earliest.toISOString()}, after the last check`,
      { code: 'REPLICATION_WINDOW_PASSED' },
    );
  }
  const ids = (result.deletedRecords ?? []).map((d) => ({
    id: d.id,
    deletedAt: toSqlValue(d.deletedDate, { kind: 'timestamp' }) as string,
  }));
  const covered = result.latestDateCovered ? new Date(result.latestDateCovered) : to;
  return { ids, latestDateCovered: Number.isNaN(covered.getTime()) ? to : covered };
}
