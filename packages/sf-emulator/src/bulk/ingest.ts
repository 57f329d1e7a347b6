/**
 * Bulk API 2.0 ingest: `IngestJobStore`, the jobs of the org and their routes (create, upload, close or abort,
 * delete, list, results). What a job is and how its requests are checked is in `ingest-job.ts`; processing in
 * `ingest-process.ts` (batches applied by `ingest-batch.ts`); results in `ingest-results.ts`; the server model's
 * pool in `ingest-model.ts`.
 */
import { seededRandom } from '../faults.js';
import type { ApiRequest, EmulatorContext, IngestJobs, JobRoute } from '../server/context.js';
import { ApiError, methodNotAllowed, notFound, readJsonObject, sendEmpty, sendJson } from '../server/http.js';
import { FINISHED, type IngestJob, ingestJobRequest, invalidState, jobInfo, wake } from './ingest-job.js';
import { type IngestServerModel, type ServerModel, serverModel } from './ingest-model.js';
import { type ProcessHost, processJob } from './ingest-process.js';
import { resultBlocks, streamBlocks } from './ingest-results.js';
import { findJob, makeId, routeJobs, sendJobPage } from './jobs.js';

export { checkHeader, formatErrors, lineEndingMismatch } from './ingest-job.js';
export type { IngestServerModel } from './ingest-model.js';
export { INTERNAL_BATCH_SIZE } from './ingest-process.js';

/** The org's ingest jobs, answering the Bulk API 2.0 ingest routes. */
/** The results of an ingest job by sub-resource name. */
const RESULT_KINDS: Record<string, 'success' | 'failed' | 'unprocessed'> = {
  successfulResults: 'success',
  failedResults: 'failed',
  unprocessedrecords: 'unprocessed',
};

export class IngestJobStore implements IngestJobs {
  readonly jobs = new Map<string, IngestJob>();
  private sequence = 0;
  private batches = 0;
  private readonly active = new Set<Promise<void>>();
  private readonly model: ServerModel | undefined;
  private stopping = false;

  constructor(
    private readonly ctx: () => EmulatorContext,
    model?: IngestServerModel,
    seed = 1,
  ) {
    if (model) this.model = serverModel(model, seed);
  }

  batchesToday(): number {
    return this.batches;
  }

  /** The server model's figures: internal batches at most in process at once so far (0 without a model). */
  modelPeakConcurrency(): number {
    return this.model?.slots.peak ?? 0;
  }

  /** `jobs/ingest[/{id}[/{sub}]]`. */
  route: JobRoute = (api, method, id, sub, n) =>
    routeJobs(api, method, id, n, {
      create: () => this.create(api),
      list: () => this.list(api),
      info: (jobId) => this.info(this.get(jobId), true, api.version),
      patch: (jobId) => this.patch(api, jobId),
      delete: (jobId) => this.delete(api, jobId),
      sub: (jobId) => this.subResource(api, method, jobId, sub),
    });

  /** `batches` (the upload) and the three results of a job. */
  private async subResource(api: ApiRequest, method: string, jobId: string, sub: string | undefined): Promise<void> {
    if (sub === 'batches') {
      if (method !== 'PUT') throw methodNotAllowed(method, ['PUT']);
      return this.upload(api, jobId);
    }
    const kind = sub === undefined ? undefined : RESULT_KINDS[sub];
    if (!kind) throw notFound();
    if (method !== 'GET') throw methodNotAllowed(method, ['GET']);
    return this.results(api, jobId, kind);
  }

  /** Resolves when every job being processed has finished (for a clean stop: waits end at once). */
  async idle(): Promise<void> {
    this.stopping = true;
    for (const job of this.jobs.values()) wake(job);
    while (this.active.size > 0) await Promise.allSettled([...this.active]);
  }

  /** Waits `ms` unless the job is woken (abort, delete, stop) first. */
  private sleep(job: IngestJob, ms: number): Promise<void> {
    if (ms <= 0 || this.stopping || job.abortRequested) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        job.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      job.sleepers.add(done);
    });
  }

  get(id: string): IngestJob {
    return findJob(this.jobs, id);
  }

  info(job: IngestJob, full: boolean, version: string): Record<string, unknown> {
    return jobInfo(job, full, version);
  }

  /** `POST jobs/ingest`. */
  async create(api: ApiRequest): Promise<void> {
    const body = await readJsonObject(api.req);
    const request = ingestJobRequest(body, api.ctx.org);
    const now = this.ctx().org.clock.millis();
    const job: IngestJob = {
      id: makeId('750'),
      operation: request.operation,
      object: request.definition.name,
      externalIdFieldName: request.externalIdFieldName,
      lineEnding: request.lineEnding,
      columnDelimiter: request.columnDelimiter,
      createdById: api.session.userId,
      createdDate: now,
      systemModstamp: now,
      state: 'Open',
      apiVersion: Number(api.version),
      uploaded: false,
      chunks: [],
      uploadBytes: 0,
      header: [],
      batches: [],
      unprocessed: [],
      unprocessedSequence: [],
      processed: 0,
      failedCount: 0,
      processingTime: 0,
      abortRequested: false,
      sleepers: new Set(),
      sequence: ++this.sequence,
    };
    if (typeof body.assignmentRuleId === 'string') job.assignmentRuleId = body.assignmentRuleId;
    if (api.ctx.settings.resultOrder === 'shuffle')
      job.random = seededRandom(api.ctx.settings.seed * 7919 + job.sequence);
    this.jobs.set(job.id, job);
    sendJson(api.res, 200, this.info(job, false, api.version));
  }
  /** `PUT jobs/ingest/{id}/batches`: one upload per job, streamed into memory chunks, 150 MB at most. */
  async upload(api: ApiRequest, id: string): Promise<void> {
    const job = this.get(id);
    if (job.state !== 'Open') {
      api.req.resume();
      throw invalidState(`Job ${id} is not open for uploads (state ${job.state})`);
    }
    if (job.uploaded) {
      api.req.resume();
      throw new ApiError(
        400,
        'BULK_API_ERROR',
        `Found multiple contents for job: <${id}>, please 'Close' / 'Abort' / 'Delete' the current Job then create a new Job and make sure you only do 'PUT' once on a given Job.`,
      );
    }
    job.uploaded = true;
    const limit = api.ctx.settings.maxUploadBytes;
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    for await (const chunk of api.req) {
      if (tooLarge) continue;
      const buffer = chunk as Buffer;
      size += buffer.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        continue;
      }
      chunks.push(buffer);
    }
    if (tooLarge) {
      job.uploaded = false;
      throw new ApiError(
        413,
        'REQUEST_ENTITY_TOO_LARGE',
        `The uploaded data exceeds the maximum size of ${limit} bytes (150 MB) for one job. Split the data into several jobs.`,
      );
    }
    job.chunks = chunks;
    job.uploadBytes = size;
    job.systemModstamp = this.ctx().org.clock.millis();
    sendEmpty(api.res, 201);
  }

  /** `PATCH jobs/ingest/{id}` `{state}`. */
  async patch(api: ApiRequest, id: string): Promise<void> {
    const body = await readJsonObject(api.req);
    const job = this.get(id);
    const state = String(body.state ?? '');
    if (state === 'UploadComplete') {
      if (job.state !== 'Open') throw invalidState(`Invalid state change from ${job.state} to UploadComplete`);
      job.state = 'UploadComplete';
      job.systemModstamp = this.ctx().org.clock.millis();
      const run = this.process(job).catch((error: unknown) => {
        job.state = 'Failed';
        job.errorMessage = `InternalServerError : ${(error as Error)?.message ?? String(error)}`;
      });
      this.active.add(run);
      void run.finally(() => this.active.delete(run));
    } else if (state === 'Aborted') {
      if (FINISHED.includes(job.state)) throw invalidState(`Invalid state change from ${job.state} to Aborted`);
      const wasOpen = job.state === 'Open';
      job.abortRequested = true;
      job.state = 'Aborted';
      wake(job);
      job.systemModstamp = this.ctx().org.clock.millis();
      if (wasOpen) job.chunks = [];
    } else {
      throw invalidState(`Invalid state: ${state || '(none)'}`);
    }
    sendJson(api.res, 200, this.info(job, false, api.version));
  }

  /** `DELETE jobs/ingest/{id}`. */
  delete(api: ApiRequest, id: string): void {
    const job = this.get(id);
    if (job.state === 'Open' || job.state === 'InProgress') {
      throw invalidState(`Job ${id} cannot be deleted in state ${job.state}`);
    }
    job.abortRequested = true;
    wake(job);
    this.jobs.delete(id);
    sendEmpty(api.res, 204);
  }

  /** `GET jobs/ingest`: job list, 1000 a page. */
  list(api: ApiRequest): void {
    sendJobPage(api, this.jobs, 'ingest', (job) => {
      const info = this.info(job, false, api.version);
      delete info.contentUrl;
      info.jobType = 'V2Ingest';
      return info;
    });
  }

  /** `GET .../successfulResults`, `failedResults`, `unprocessedrecords`. */
  async results(api: ApiRequest, id: string, kind: 'success' | 'failed' | 'unprocessed'): Promise<void> {
    const job = this.get(id);
    const eol = job.lineEnding === 'CRLF' ? '\r\n' : '\n';
    const d = job.columnDelimiter;
    const original = job.header.join(d);
    api.res.writeHead(200, { 'Content-Type': 'text/csv' });
    if (kind === 'unprocessed') {
      await streamBlocks(api.res, original ? original + eol : '', job.unprocessed);
      return;
    }
    const head =
      kind === 'success'
        ? `"sf__Id"${d}"sf__Created"${original ? d + original : ''}${eol}`
        : `"sf__Id"${d}"sf__Error"${original ? d + original : ''}${eol}`;
    await streamBlocks(api.res, head, resultBlocks(job, kind === 'success', eol));
  }

  private process(job: IngestJob): Promise<void> {
    const host: ProcessHost = {
      ctx: this.ctx(),
      model: this.model,
      stopping: () => this.stopping,
      sleep: (target, ms) => this.sleep(target, ms),
      countBatch: () => {
        this.batches++;
      },
    };
    return processJob(host, job);
  }
}
