// What the Bulk job stores share (2.0 ingest and query, 1.0): the routes of a 2.0 jobs resource, ids, the job info's date format, finding a job, the
// job list's pages, and the upsert's external id field.
import type { ObjectDefinition } from '../contract.js';
import { findField } from '../schema/fields.js';
import type { ApiRequest } from '../server/context.js';
import { ApiError, methodNotAllowed, notFound, sendJson } from '../server/http.js';
import { DELIMITERS } from './csv.js';

export { newId as makeId } from '../ids.js';

/** Salesforce's date format in Bulk job info: `2024-05-01T12:00:00.000+0000`. */
export function sfDate(time: number): string {
  return new Date(time).toISOString().replace('Z', '+0000');
}

/** A Bulk 2.0 job by id; 404 NOT_FOUND when there is none. */
export function findJob<T>(jobs: Map<string, T>, id: string): T {
  const job = jobs.get(id);
  if (!job) throw new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
  return job;
}

/** Jobs a page of the Bulk 2.0 job list holds. */
const JOB_PAGE_SIZE = 1000;

/**
 * `GET jobs/ingest` or `GET jobs/query`: the page of jobs at `queryLocator` (an offset), 1000 a page, each
 * described by `describe`.
 */
export function sendJobPage<T>(
  api: ApiRequest,
  jobs: Map<string, T>,
  kind: 'ingest' | 'query',
  describe: (job: T) => Record<string, unknown>,
): void {
  const start = Number(api.query.get('queryLocator') ?? '0') || 0;
  const all = [...jobs.values()];
  const done = start + JOB_PAGE_SIZE >= all.length;
  sendJson(api.res, 200, {
    done,
    records: all.slice(start, start + JOB_PAGE_SIZE).map(describe),
    nextRecordsUrl: done ? null : `/services/data/v${api.version}/jobs/${kind}?queryLocator=${start + JOB_PAGE_SIZE}`,
  });
}

/**
 * The canonical name of an upsert job's external id field: an external id or the Id field. `invalid` makes the
 * API's error from Salesforce's message (the two Bulk APIs answer in different shapes).
 */
export function upsertKeyField(
  definition: ObjectDefinition,
  requested: string,
  invalid: (message: string) => Error,
): string {
  const field = findField(definition, requested);
  if (!field || !(field.externalId || field.name === 'Id' || field.type === 'id')) {
    throw invalid(`Field name provided, ${requested} is not an External ID or indexed field for ${definition.name}`);
  }
  return field.name;
}

/** What a Bulk 2.0 job's info starts with, ingest and query alike. */
export interface JobHead {
  id: string;
  operation: string;
  object: string;
  createdById: string;
  createdDate: number;
  systemModstamp: number;
  state: string;
}

/** The first fields of a Bulk 2.0 job's info, in Salesforce's order. */
export function jobInfoHead(job: JobHead): Record<string, unknown> {
  return {
    id: job.id,
    operation: job.operation,
    object: job.object,
    createdById: job.createdById,
    createdDate: sfDate(job.createdDate),
    systemModstamp: sfDate(job.systemModstamp),
    state: job.state,
  };
}

/** The API name of a column delimiter (`COMMA`, `TAB`, ...). */
export function delimiterName(delimiter: string): string {
  for (const [name, value] of Object.entries(DELIMITERS)) if (value === delimiter) return name;
  return 'COMMA';
}

/** A store's answers for one Bulk API 2.0 jobs resource (`jobs/ingest` or `jobs/query`), for {@link routeJobs}. */
export interface JobHandlers {
  create(): Promise<void>;
  list(): void;
  /** The job info `GET jobs/{kind}/{id}` answers. */
  info(jobId: string): Record<string, unknown>;
  patch(jobId: string): Promise<void>;
  delete(jobId: string): void;
  /** `jobs/{kind}/{id}/{sub}`: answers, or throws 404 / 405. */
  sub(jobId: string): Promise<void>;
}

/** Routes `jobs/{kind}[/{id}[/{sub}]]` (`n` path segments from `jobs`) by method to a store's handlers. */
export async function routeJobs(
  api: ApiRequest,
  method: string,
  id: string | undefined,
  n: number,
  handlers: JobHandlers,
): Promise<void> {
  if (n === 2) {
    if (method === 'POST') return handlers.create();
    if (method === 'GET') return handlers.list();
    throw methodNotAllowed(method, ['GET', 'POST']);
  }
  const jobId = id as string;
  if (n === 3) {
    if (method === 'GET') return sendJson(api.res, 200, handlers.info(jobId));
    if (method === 'PATCH') return handlers.patch(jobId);
    if (method === 'DELETE') return handlers.delete(jobId);
    throw methodNotAllowed(method, ['GET', 'PATCH', 'DELETE']);
  }
  if (n === 4) return handlers.sub(jobId);
  throw notFound();
}
