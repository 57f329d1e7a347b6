import { emptySummary, KicksawError, timestamp as makeTimestamp } from '@kicksaw/core';
import { cacheJson } from '@kicksaw/s3';
import type { RunClaim } from './claim.js';
import { failRun, isRunFailure } from './finish.js';
import { ImportOrchestrator } from './import-orchestrator.js';
import type { ImportCsvOptions } from './options.js';
import type { Orchestrator, OrchestratorOptions } from './orchestrator.js';
import { type Checkpoint, cleanUp, type ParkedState, readCheckpoints, readState, runIdentityOf } from './run-state.js';

// The second step of a run, once claimed: what earlier invocations left of it in S3 (its parked state,
// the checkpoints of jobs sent since) and the orchestrator that logs its outcomes and finishes it.

/** A run as the invocation holding it works on it. */
export interface OpenRun extends RunClaim {
  options: ImportCsvOptions;
  /** What the last invocation to park the run left, if any. */
  state: ParkedState | undefined;
  /** Jobs checkpointed by invocations since that state (one that died, or the one that parked it). */
  checkpoints: Checkpoint[];
  orchestrator: Orchestrator;
  /** When the run began (its first invocation). */
  startedAt: string;
  /** This invocation's lease generation (0 without a lease). */
  generation: number;
  /**
   * Set when an engine sending rows failed, or keeping an outcome failed while an engine ran: a job of
   * it may still be closing, so an interrupted invocation leaves its lease to run out instead of
   * releasing it.
   */
  engineMayRun: boolean;
}

/** Reads the run's state and checkpoints and builds its orchestrator. A bad source fails the run. */
export async function openRun(options: ImportCsvOptions, claim: RunClaim): Promise<OpenRun> {
  const { s3Client: client, bucket } = options;
  const { place } = claim;
  const state = await readState(client, bucket, place.stateKey);
  const checkpoints = await readCheckpoints(client, bucket, place.checkpointPrefix, state?.generation ?? 0);
  const orchestrator = await orchestratorFor(options, claim, state);
  return {
    ...claim,
    options,
    state,
    checkpoints,
    orchestrator,
    startedAt: state?.startedAt ?? new Date().toISOString(),
    generation: claim.lease?.generation ?? 0,
    engineMayRun: false,
  };
}

/** Writes the run's state: what it holds now, with `patch` over it. */
export async function writeState(run: OpenRun, patch: Partial<ParkedState>): Promise<void> {
  const { options, orchestrator, state } = run;
  await cacheJson(
    {
      ...runIdentityOf(orchestrator, options.bucket, options.key),
      covered: '',
      total: null,
      summary: emptySummary(),
      jobs: [],
      spooled: 0,
      generation: 0,
      stalls: 0,
      startedAt: run.startedAt,
      unsentReason: null,
      ...state,
      ...patch,
    } satisfies ParkedState,
    { client: options.s3Client, bucket: options.bucket, key: run.place.stateKey },
  );
}

/** The run's orchestrator, named by the run's first invocation (timestamp, version, record). */
async function orchestratorFor(
  options: ImportCsvOptions,
  claim: RunClaim,
  state: ParkedState | undefined,
): Promise<Orchestrator> {
  const { place, settings } = claim;
  const identity = {
    timestamp: state?.timestamp ?? options.timestamp ?? makeTimestamp(),
    eTag: state?.eTag ?? claim.eTag,
    versionId: state?.versionId ?? claim.versionId,
    executionId: claim.executionId,
  };
  try {
    return await buildOrchestrator(options, claim, identity);
  } catch (error) {
    const gone = error instanceof KicksawError && error.code === 'S3_OBJECT_NOT_FOUND';
    if (!(gone && state?.completing)) {
      if (isRunFailure(error)) {
        const failed = await failRun(
          options.connection,
          settings,
          claim.executionId,
          error,
          place.source,
          place.logger,
        );
        await cleanUp(
          options.s3Client,
          options.bucket,
          place,
          settings ? { connection: options.connection, settings } : undefined,
        );
        throw failed;
      }
      throw error;
    }
    // The source is archived already: only the record is left to write, by the default orchestrator's
    // set-up-free form (a custom orchestrator's set-up needs the source).
    place.logger.warn('the source is archived already: the record is written by the default orchestrator', {
      source: place.source,
    });
    return buildOrchestrator(options, claim, identity, { sourceGone: true });
  }
}

async function buildOrchestrator(
  options: ImportCsvOptions,
  claim: RunClaim,
  run: { timestamp: string; eTag: string | undefined; versionId: string | undefined; executionId: string | undefined },
  how: { sourceGone?: boolean } = {},
): Promise<Orchestrator> {
  const orchestratorOptions: OrchestratorOptions = {
    bucket: options.bucket,
    key: options.key,
    s3Client: options.s3Client,
    connection: options.connection,
    timestamp: run.timestamp,
    eTag: run.eTag,
    versionId: run.versionId,
    executionId: run.executionId,
    archiveFolder: options.archiveFolder,
    errorFolder: options.errorFolder,
    region: options.region,
    executionObjectName: claim.settings?.object,
    logger: options.logger,
    errorReport: {
      object: options.object,
      upsertKey: options.externalIdField,
      ...options.errorReport,
    },
  };
  if (options.orchestrator && !how.sourceGone) return options.orchestrator(orchestratorOptions);
  const orchestrator = new ImportOrchestrator({
    ...orchestratorOptions,
    payloadField: claim.settings?.payloadField ?? null,
  });
  if (!how.sourceGone) await orchestrator.setUp();
  return orchestrator;
}
