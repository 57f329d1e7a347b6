// The replication API's reads (getUpdated, getDeleted): windows of changed and deleted ids of one object.
import { OrgError } from '../contract.js';
import { type ClockInput, clockMillis } from './clock.js';
import type { ObjectStore } from './store.js';
import { formatDateTime } from './values.js';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** The answer of `getUpdated` (REST `sobjects/{T}/updated`): ids of records changed within a window. */
export interface GetUpdatedResult {
  ids: string[];
  latestDateCovered: string;
}

/** The answer of `getDeleted` (REST `sobjects/{T}/deleted`): records deleted within a window. */
export interface GetDeletedResult {
  deletedRecords: Array<{ id: string; deletedDate: string }>;
  earliestDateAvailable: string;
  latestDateCovered: string;
}

/** What the replication reads depend on: the org's clock, the recycle bin retention and the id limit per answer. */
export interface ReplicationLimits {
  /** The org's clock, in epoch milliseconds. */
  now: () => number;
  retentionDays: number;
  idLimit: number;
}

/** Ids of live records whose SystemModstamp (else LastModifiedDate) falls in the window (at most 30 days back). */
export function updatedIds(
  store: ObjectStore,
  start: ClockInput,
  end: ClockInput,
  limits: ReplicationLimits,
): GetUpdatedResult {
  const window = replicationWindow(start, end, 30, limits);
  const from = formatDateTime(window.start);
  const to = formatDateTime(window.end);
  const ids: string[] = [];
  for (const record of store.records.values()) {
    if (record.IsDeleted === true) continue;
    const stamp = (record.SystemModstamp ?? record.LastModifiedDate) as string | undefined;
    if (typeof stamp !== 'string' || stamp < from || stamp >= to) continue;
    ids.push(record.Id);
    if (ids.length > limits.idLimit) throw tooManyIds(ids.length, limits);
  }
  return { ids, latestDateCovered: latestCovered(window.end, limits) };
}

/** The delete log entries in the window (within the retention), oldest first. */
export function deletedIds(
  store: ObjectStore,
  start: ClockInput,
  end: ClockInput,
  limits: ReplicationLimits,
): GetDeletedResult {
  const window = replicationWindow(start, end, limits.retentionDays, limits);
  const earliest =
    store.lastPurged ?? Math.floor((limits.now() - limits.retentionDays * DAY_MS) / MINUTE_MS) * MINUTE_MS;
  if (store.lastPurged !== undefined && store.lastPurged > window.end) {
    throw new OrgError(
      'INVALID_REPLICATION_DATE',
      `The delete log of ${store.object.name} was purged up to ${formatDateTime(store.lastPurged)}, after the window's end: resync the object (compare ids)`,
    );
  }
  const entries: Array<[string, number]> = [];
  for (const entry of store.deleteLog) {
    if (entry[1] < window.start || entry[1] >= window.end) continue;
    entries.push(entry);
    if (entries.length > limits.idLimit) throw tooManyIds(entries.length, limits);
  }
  entries.sort((a, b) => a[1] - b[1]);
  return {
    deletedRecords: entries.map(([id, at]) => ({ id, deletedDate: formatDateTime(at) })),
    earliestDateAvailable: formatDateTime(earliest),
    latestDateCovered: latestCovered(window.end, limits),
  };
}

/** Start and end of a replication window, truncated to the minute, checked. */
function replicationWindow(
  start: ClockInput,
  end: ClockInput,
  maxDaysBack: number,
  limits: ReplicationLimits,
): { start: number; end: number } {
  const bad = (message: string) => new OrgError('INVALID_REPLICATION_DATE', message);
  let from: number;
  let to: number;
  try {
    from = Math.floor(clockMillis(start, 'start') / MINUTE_MS) * MINUTE_MS;
    to = Math.floor(clockMillis(end, 'end') / MINUTE_MS) * MINUTE_MS;
  } catch (error) {
    throw bad((error as Error).message);
  }
  if (from >= to) {
    throw bad(
      `start (${formatDateTime(from)}) must be before end (${formatDateTime(to)}); both are truncated to the minute`,
    );
  }
  const limit = limits.now() - maxDaysBack * DAY_MS;
  if (from < limit) {
    throw bad(
      `start (${formatDateTime(from)}) is more than ${maxDaysBack} days before now (${formatDateTime(limits.now())}); start a new full copy instead`,
    );
  }
  return { start: from, end: to };
}

/** latestDateCovered: the window's end, or the current minute when the end is still to come. */
function latestCovered(end: number, limits: ReplicationLimits): string {
  const nowMinute = Math.floor(limits.now() / MINUTE_MS) * MINUTE_MS;
  return formatDateTime(Math.min(end, nowMinute));
}

function tooManyIds(count: number, limits: ReplicationLimits): OrgError {
  return new OrgError(
    'EXCEEDED_ID_LIMIT',
    `The window holds ${count} ids, more than the limit of ${limits.idLimit}: choose start and end dates closer together`,
  );
}
