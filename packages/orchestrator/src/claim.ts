import type { S3Client } from '@aws-sdk/client-s3';
import { emptySummary, InputError, type KicksawError, type Logger, silentLogger } from '@kicksaw/core';
import { archiveKeyFor, fileNameOf, headObject, listKeys } from '@kicksaw/s3';
import type { Connection } from 'jsforce';
import { ImportFailedError } from './errors.js';
import {
  claimExecution,
  type ExistingExecution,
  findExecution,
  idempotencyKeyFor,
  messageOf,
  type ResolvedExecutionRecordSettings,
  resolveExecutionRecordSettings,
} from './execution-record.js';
import type { ImportCsvResult } from './import-csv.js';
import { acquireLease, type RunLease } from './lease.js';
import { IMPORT_DEFAULTS, type ImportCsvOptions, leaseMsOf } from './options.js';
import { cleanUp, type RunPlace } from './run-state.js';

// The first step of a run: find out whether this delivery may work on it. The source's version names
// the run (its idempotency key); the execution record is created by the first delivery and found by
// every later one; the lease lets one invocation at a time work on the run.

/** What a delivery that may work on the run holds: its record, its lease and where the run keeps its state. */
export interface RunClaim {
  settings: ResolvedExecutionRecordSettings | undefined;
  executionId: string | undefined;
  /** Absent without an execution record (`execution: false`). */
  lease: RunLease | undefined;
  /** The source's version as the event or the head request gave it. */
  eTag: string | undefined;
  versionId: string | undefined;
  place: RunPlace;
}

/**
 * Claims the run of `options.key`: `{ run }` when this invocation holds it now (stop its lease when
 * done), `{ skipped }` when another delivery handled it or holds it. Throws `ImportFailedError` when the
 * source is gone without a trace of a run.
 */
export async function claimRun(options: ImportCsvOptions): Promise<{ run: RunClaim } | { skipped: ImportCsvResult }> {
  const { s3Client: client, bucket, key } = options;
  const settings = options.execution === false ? undefined : resolveExecutionRecordSettings(options.execution);
  const head = await headObject({ client, bucket, key });
  const eTag = options.eTag ?? head?.eTag;
  const versionId = options.versionId ?? head?.versionId;
  const place = placeOf(options, idempotencyKeyFor({ bucket, key, eTag, versionId }));
  const found = { settings, eTag, versionId, place };
  // The source is gone: archived by an earlier delivery, or deleted. A run cut off after the archive and
  // before the record is finished all the same (it needs no source).
  const existing =
    !head && settings ? await findExecution(options.connection, settings, place.idempotencyKey) : undefined;
  if (!head && (existing === undefined || isFinal(existing.status)))
    return { skipped: await sourceGone(options, found, existing) };
  // No record: no duplicate-delivery protection and no lease (see `execution`).
  if (!settings) return { run: { ...found, executionId: undefined, lease: undefined } };
  const record = await claimRecord(options, settings, place);
  if ('skipped' in record) return record;
  return takeLease(options, { ...found, settings }, record);
}

/** Where the run of this object version keeps its state. */
function placeOf(options: ImportCsvOptions, idempotencyKey: string): RunPlace {
  const stateFolder = (options.stateFolder ?? IMPORT_DEFAULTS.stateFolder).replace(/\/+$/, '');
  return {
    source: `s3://${options.bucket}/${options.key}`,
    idempotencyKey,
    stateKey: `${stateFolder}/${idempotencyKey}.json`,
    spoolKey: `${stateFolder}/${idempotencyKey}.outcomes.jsonl`,
    rowSpoolKey: `${stateFolder}/${idempotencyKey}.rows.jsonl`,
    checkpointPrefix: `${stateFolder}/${idempotencyKey}.jobs/`,
    logger: options.logger ?? silentLogger,
  };
}

/** The source is gone and no unfinished run needs it: skipped when a run handled it, else a failure. */
async function sourceGone(
  options: ImportCsvOptions,
  found: Pick<RunClaim, 'settings' | 'place'>,
  existing: ExistingExecution | undefined,
): Promise<ImportCsvResult> {
  const { settings, place } = found;
  const { logger, source, idempotencyKey } = place;
  const log = { source, idempotencyKey };
  if (existing) {
    logger.info('skipped: this object version was already handled', { ...log, executionId: existing.id });
    // A run cut off after its record was written may have left its state and lease records behind.
    return alreadyProcessed(options, found, existing.id);
  }
  if (
    await archiveExists(
      options.s3Client,
      options.bucket,
      options.key,
      options.archiveFolder ?? IMPORT_DEFAULTS.archiveFolder,
    )
  ) {
    logger.info('skipped: the object is already archived', log);
    return { status: 'skipped', reason: 'already-archived', summary: emptySummary() };
  }
  const error = new InputError(
    'The S3 object does not exist: it was moved or deleted between the event and the download',
    {
      source,
      code: 'S3_OBJECT_NOT_FOUND',
    },
  );
  logger.error(error.message, { ...log, code: error.code });
  const executionId = settings
    ? await recordFailure(
        options.connection,
        settings,
        idempotencyKey,
        options.key,
        error,
        options.executionFields,
        logger,
      )
    : undefined;
  throw new ImportFailedError(error.message, {
    cause: error,
    code: error.code,
    ...(executionId ? { executionId } : {}),
  });
}

/** The execution record: created by the first delivery, found by every later one (skipped when final). */
async function claimRecord(
  options: ImportCsvOptions,
  settings: ResolvedExecutionRecordSettings,
  place: RunPlace,
): Promise<{ claimed: boolean; executionId: string } | { skipped: ImportCsvResult }> {
  const claim = await claimExecution(options.connection, settings, place.idempotencyKey, {
    Name: fileNameOf(options.key).slice(0, 80),
    ...options.executionFields,
  });
  const executionId = claim.claimed ? claim.id : claim.existing.id;
  if (claim.claimed || !isFinal(claim.existing.status)) return { claimed: claim.claimed, executionId };
  place.logger.info('skipped: duplicate delivery (already-processed)', {
    source: place.source,
    idempotencyKey: place.idempotencyKey,
    executionId,
    status: claim.existing.rawStatus,
  });
  return { skipped: await alreadyProcessed(options, { settings, place }, executionId) };
}

/** The lease: one invocation at a time sends, settles, parks or finishes the run. */
async function takeLease(
  options: ImportCsvOptions,
  found: Omit<RunClaim, 'executionId' | 'lease' | 'settings'> & { settings: ResolvedExecutionRecordSettings },
  record: { claimed: boolean; executionId: string },
): Promise<{ run: RunClaim } | { skipped: ImportCsvResult }> {
  const { settings, place } = found;
  const { executionId } = record;
  const log = { source: place.source, idempotencyKey: place.idempotencyKey, executionId };
  const attempt = await acquireLease(options.connection, settings, place.idempotencyKey, {
    leaseMs: leaseMsOf(options),
    logger: place.logger,
    // After waiting for a lease whose holder stopped renewing: that holder may have finished the run.
    stillOpen: async () => {
      const now = await findExecution(options.connection, settings, place.idempotencyKey);
      return !(now && isFinal(now.status));
    },
  });
  if (!attempt.acquired && attempt.ended) {
    place.logger.info('skipped: the run ended while this delivery waited for its lease (already-processed)', log);
    return { skipped: await alreadyProcessed(options, found, executionId) };
  }
  if (!attempt.acquired) {
    place.logger.info('skipped: another invocation holds this run (in-progress); deliver it again later', {
      ...log,
      leaseGeneration: attempt.generation,
      heldUntil: attempt.heldUntil?.toISOString(),
    });
    const heldUntil = attempt.heldUntil?.toISOString();
    return {
      skipped: {
        status: 'skipped',
        reason: 'in-progress',
        summary: emptySummary(),
        executionId,
        ...(heldUntil ? { heldUntil } : {}),
      },
    };
  }
  const lease = attempt.lease;
  if (!record.claimed) {
    // The run may have been finished between the claim and the lease.
    const now = await findExecution(options.connection, settings, place.idempotencyKey).catch(
      async (error: unknown) => {
        // Nothing was done under the lease: its record goes, so that it is not left behind if the run
        // was finished meanwhile (the run's clean-up may have listed the leases before it was inserted).
        await lease.discard();
        throw error;
      },
    );
    if (now && isFinal(now.status)) {
      // The run's clean-up deleted its leases before this delivery took a new one: that one goes too
      // (with the clean-up below; released, it would be left in the execution object for good).
      lease.stop();
      place.logger.info('skipped: duplicate delivery (already-processed)', log);
      return { skipped: await alreadyProcessed(options, found, executionId) };
    }
  }
  place.logger.info('run leased', { ...log, leaseGeneration: lease.generation });
  return { run: { ...found, executionId, lease } };
}

/** `skipped` / `already-processed`, after deleting what a finished run may have left behind. */
async function alreadyProcessed(
  options: ImportCsvOptions,
  found: Pick<RunClaim, 'settings' | 'place'>,
  executionId: string,
): Promise<ImportCsvResult> {
  const record = found.settings ? { connection: options.connection, settings: found.settings } : undefined;
  const left = await cleanUp(options.s3Client, options.bucket, found.place, record);
  return withLeft({ status: 'skipped', reason: 'already-processed', summary: emptySummary(), executionId }, left);
}

/** The result, with the count of lease records its clean-up could not delete when there are any. */
export function withLeft(result: ImportCsvResult, left: { leaseRecordsLeft: number } | undefined): ImportCsvResult {
  return left && left.leaseRecordsLeft > 0 ? { ...result, leaseRecordsLeft: left.leaseRecordsLeft } : result;
}

function isFinal(status: ExistingExecution['status']): boolean {
  return status === 'succeeded' || status === 'partial' || status === 'failed';
}

/** Records a run that failed before it began (its source gone), when the record can be written. */
async function recordFailure(
  connection: Connection,
  settings: ResolvedExecutionRecordSettings,
  idempotencyKey: string,
  key: string,
  error: KicksawError,
  extra: Record<string, unknown> | undefined,
  logger: Logger,
): Promise<string | undefined> {
  try {
    const claim = await claimExecution(
      connection,
      settings,
      idempotencyKey,
      {
        Name: fileNameOf(key).slice(0, 80),
        ...extra,
        ...(settings.payloadField
          ? { [settings.payloadField]: JSON.stringify({ error: { code: error.code, message: error.message } }) }
          : {}),
      },
      'failed',
    );
    return claim.claimed ? claim.id : claim.existing.id;
  } catch (recordError) {
    logger.error('could not write the failure to an execution record', { error: messageOf(recordError) });
    return undefined;
  }
}

async function archiveExists(client: S3Client, bucket: string, key: string, folder: string): Promise<boolean> {
  // archive/<name>-<timestamp>.<ext>: any key that starts like the archive key without its stamp.
  const sample = archiveKeyFor(key, { folder, timestamp: 'STAMP' });
  const prefix = sample.slice(0, sample.indexOf('STAMP'));
  for await (const found of listKeys({ client, bucket, prefix })) {
    if (found.length > prefix.length) return true;
  }
  return false;
}
