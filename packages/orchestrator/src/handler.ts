import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import {
  BULK_OPERATIONS,
  type BulkOperation,
  ConfigError,
  KicksawError,
  type Logger,
  redact,
  silentLogger,
} from '@kicksaw/core';
import {
  createS3Client,
  type NotDone,
  notDone,
  respondToS3Event,
  type S3EventResponse,
  type S3ObjectRef,
} from '@kicksaw/s3';
import { connect, parseSalesforceConfig, type SalesforceConfig, salesforceConfigFromEnv } from '@kicksaw/sf-bulk';
import type { Connection } from 'jsforce';
import { z } from 'zod';
import { S3ImportIncompleteError } from './errors.js';
import { type ImportCsvResult, importCsv } from './import-csv.js';
import type { ImportMapping } from './mapping.js';
import { IMPORT_DEFAULTS, type ImportSettings } from './options.js';

/**
 * Options of {@link createS3ImportHandler}: the flow's {@link ImportSettings} (the same fields, the same
 * defaults as {@link importCsv}), plus how to reach Salesforce and S3 and how to fit a Lambda invocation.
 */
export interface S3ImportHandlerOptions extends ImportSettings {
  /**
   * How to reach Salesforce: a config for `@kicksaw/sf-bulk`'s `connect` (validated when the handler
   * is created), or `connection`.
   */
  salesforce?: SalesforceConfig;
  /** A connection factory (or a ready connection) instead of `salesforce`. Called once per cold start. */
  connection?: Connection | (() => Promise<Connection>);
  /** The S3 client. Default: one built from `s3ClientConfig` (default: the Lambda's region and role). */
  s3Client?: S3Client;
  /** Config of the S3 client built when `s3Client` is absent. */
  s3ClientConfig?: S3ClientConfig;
  /**
   * Time kept back from the Lambda's remaining time after the deadline, for parking (state, record,
   * lease release) or finishing (report, archive, record), in ms. Jobs still running at the deadline
   * are not waited for: they are parked by id and the next invocation collects them; uploads under way
   * end and jobs already finished are reconciled. Default: `reserveFraction` of the time the invocation
   * starts with, at least 3 s and at most 60 s (3 s for a 15 s function, 12 s for 60 s, 60 s for 15
   * minutes). A value you set is kept as it is; one that leaves less than `minWorkMs` is a `ConfigError`.
   */
  reserveMs?: number;
  /** The share of an invocation's time the default reserve takes (3-60 s). Default 0.2. */
  reserveFraction?: number;
  /**
   * The least time an invocation must have for work once the reserve is kept back, in ms: below it the
   * function's timeout cannot make progress and the handler throws a `ConfigError`. Default 5,000.
   */
  minWorkMs?: number;
  /** Objects handled at once within one event. Default 1. */
  concurrency?: number;
  /**
   * Keys this handler never imports. Default: keys under the archive, error and state folders, so
   * that a trigger on the whole bucket does not feed the handler its own output.
   */
  ignoreKey?: (key: string) => boolean;
  /** Names used in configuration errors, by option (e.g. `{ object: 'KICKSAW_OBJECT' }`). */
  settingNames?: Partial<Record<string, string>>;
}

/** The part of a Lambda context the handler reads. */
export interface LambdaContextLike {
  getRemainingTimeInMillis?: () => number;
  awsRequestId?: string;
}

/** One object's result in a handler response. */
export interface S3ImportItemResult {
  bucket: string;
  key: string;
  ok: boolean;
  status?: ImportCsvResult['status'] | 'ignored';
  result?: ImportCsvResult;
  error?: { name: string; code?: string; message: string };
}

/** What the handler returns: `batchItemFailures` for SQS triggers, and every object's result. */
export interface S3ImportHandlerResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
  results: S3ImportItemResult[];
}

const optionsSchema = z.object({
  object: z.string().trim().min(1),
  operation: z.enum(BULK_OPERATIONS as [BulkOperation, ...BulkOperation[]]),
  externalIdField: z.string().trim().min(1).optional(),
  mapping: z.custom<ImportMapping>(
    (value) => typeof value === 'function' || (typeof value === 'object' && value !== null),
    'must be an object or a function',
  ),
  archiveFolder: z.string().trim().min(1).optional(),
  errorFolder: z.string().trim().min(1).optional(),
  stateFolder: z.string().trim().min(1).optional(),
  reserveMs: z.number().int().min(0).optional(),
  reserveFraction: z.number().gt(0).lt(1).optional(),
  minWorkMs: z.number().int().min(1).optional(),
  concurrency: z.number().int().min(1).optional(),
  leaseMs: z.number().int().min(1).optional(),
  maxStalledAttempts: z.number().int().min(1).optional(),
});

/**
 * Validates handler options; throws a {@link ConfigError} naming the first missing or bad setting.
 * {@link createS3ImportHandler} calls it once, when the handler is created (the Lambda's cold start).
 */
export function validateS3ImportHandlerOptions(options: S3ImportHandlerOptions): void {
  const names = options.settingNames ?? {};
  const nameOf = (key: string) => names[key] ?? key;
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue?.path[0] ?? 'options');
    const value = (options as unknown as Record<string, unknown>)[key];
    const missing = value === undefined || value === '';
    throw new ConfigError(missing ? 'is required' : `is invalid (${issue?.message ?? 'bad value'})`, {
      setting: nameOf(key),
      code: missing ? 'CONFIG_MISSING' : 'CONFIG_INVALID',
    });
  }
  if (options.operation === 'upsert' && !options.externalIdField) {
    throw new ConfigError('is required for the upsert operation', {
      setting: nameOf('externalIdField'),
      code: 'CONFIG_MISSING',
      hint: 'Name the external id field upserts match on, e.g. External_Id__c.',
    });
  }
  if (!options.salesforce && !options.connection) {
    throw new ConfigError('is required', {
      setting: nameOf('salesforce'),
      code: 'CONFIG_MISSING',
      hint: 'Give Salesforce credentials (or a connection factory).',
    });
  }
  if (options.salesforce) parseSalesforceConfig(options.salesforce, { settingPrefix: 'salesforce.' });
}

/**
 * A Lambda handler for flow 1: S3 notifications (direct, through SQS or SNS) and EventBridge
 * "Object Created" events each run {@link importCsv} for the objects they name. Options are
 * validated once, when the handler is created; the Salesforce connection is made on the first
 * invocation and kept for the warm ones.
 *
 * - SQS: returns `batchItemFailures` (enable `ReportBatchItemFailures`): failed objects and runs left
 *   pending at the deadline are retried by SQS, and the retry finishes a pending run.
 * - Direct S3 and EventBridge: throws {@link S3ImportIncompleteError} when an object failed or is
 *   pending, so Lambda's retry of the event finishes it.
 * - Deliveries of a run already finished and already archived objects are skipped (logged), not failed.
 * - A delivery that finds the run held by another invocation (its lease is live) is reported as not done
 *   (a batch item failure, or a thrown error), so the platform delivers it again; after the lease runs out
 *   (the holder was killed) that delivery takes the run over and sends only what was never sent.
 * - Events that are not "object created" (S3 `ObjectRemoved:*`, EventBridge `Object Deleted`, restores,
 *   tagging) are skipped with one log line.
 *
 * The deadline handed to the engine is the Lambda's remaining time minus the reserve (by default
 * `reserveFraction` of it, 2-60 s); an invocation left with less than `minWorkMs` throws a
 * `ConfigError` naming the timeout to set.
 *
 * @example
 * ```ts
 * export const handler = createS3ImportHandler({
 *   object: 'Contact', operation: 'upsert', externalIdField: 'External_Id__c',
 *   mapping: { fields: { Email: 'Email', LastName: 'Last Name', External_Id__c: 'Id' } },
 *   salesforce: { loginUrl: 'https://acme.my.salesforce.com', clientId, clientSecret },
 * });
 * ```
 */
export function createS3ImportHandler(
  options: S3ImportHandlerOptions,
): (event: unknown, context?: LambdaContextLike) => Promise<S3ImportHandlerResponse> {
  validateS3ImportHandlerOptions(options);
  const logger = options.logger ?? silentLogger;
  const ignoreKey = ignoreKeyOf(options);
  const getConnection = connectionCache(options, logger);
  let s3Client = options.s3Client;
  return async (event, context) => {
    const deadline = invocationDeadline(options, context?.getRemainingTimeInMillis?.());
    s3Client ??= options.s3Client ?? createS3Client(options.s3ClientConfig);
    const one: ImportOneContext = { options, logger, ignoreKey, getConnection, client: s3Client, deadline };
    const response = await respondToS3Event(event, (ref) => importOne(ref, one), {
      concurrency: options.concurrency ?? IMPORT_DEFAULTS.concurrency,
    });
    return respondFor(response, logger);
  };
}

/** The handler's own folders (archive, errors, state) are not input, unless `ignoreKey` says otherwise. */
function ignoreKeyOf(options: S3ImportHandlerOptions): (key: string) => boolean {
  const folders = [
    options.archiveFolder ?? IMPORT_DEFAULTS.archiveFolder,
    options.errorFolder ?? IMPORT_DEFAULTS.errorFolder,
    options.stateFolder ?? IMPORT_DEFAULTS.stateFolder,
  ];
  return (
    options.ignoreKey ?? ((key: string) => folders.some((folder) => key.startsWith(`${folder.replace(/\/+$/, '')}/`)))
  );
}

/** One Salesforce connection for the handler's life; a failed connect is forgotten so the next call retries. */
function connectionCache(options: S3ImportHandlerOptions, logger: Logger): () => Promise<Connection> {
  let connection: Promise<Connection> | undefined;
  return () => {
    if (connection) return connection;
    const made =
      typeof options.connection === 'function'
        ? options.connection()
        : options.connection
          ? Promise.resolve(options.connection)
          : connect(options.salesforce as SalesforceConfig, { logger });
    const pending = made.catch((error: unknown) => {
      connection = undefined; // the next invocation tries again
      throw error;
    });
    connection = pending;
    return pending;
  };
}

/**
 * When the invocation's work must stop, leaving the reserve for parking; undefined outside Lambda.
 * Throws a `ConfigError` when the function's timeout leaves too little work.
 */
function invocationDeadline(options: S3ImportHandlerOptions, remaining: number | undefined): number | undefined {
  if (remaining === undefined) return undefined;
  const reserveMs = options.reserveMs ?? IMPORT_DEFAULTS.reserveMs;
  const reserveFraction = options.reserveFraction ?? IMPORT_DEFAULTS.reserveFraction;
  const minWorkMs = options.minWorkMs ?? IMPORT_DEFAULTS.minWorkMs;
  // The reserve fits the function: a share of it, at least what parking takes, at most `reserveMs`.
  const reserve =
    options.reserveMs === undefined
      ? Math.min(reserveMs, Math.max(IMPORT_DEFAULTS.minReserveMs, Math.floor(remaining * reserveFraction)))
      : reserveMs;
  const work = remaining - reserve;
  if (work < minWorkMs) {
    const names = options.settingNames ?? {};
    throw new ConfigError(
      `leaves ${work} ms of work in an invocation of ${remaining} ms (at least ${minWorkMs} ms are needed to ` +
        'send and settle a job): raise the function timeout',
      {
        setting: names.reserveMs ?? 'reserveMs',
        code: 'CONFIG_INVALID',
        hint: `Give the function a timeout of at least ${Math.ceil((minWorkMs + reserve) / 1000)} s.`,
      },
    );
  }
  return Date.now() + work;
}

/** What {@link importOne} needs from the handler and the invocation. */
interface ImportOneContext {
  options: S3ImportHandlerOptions;
  logger: Logger;
  ignoreKey: (key: string) => boolean;
  getConnection: () => Promise<Connection>;
  client: S3Client;
  deadline: number | undefined;
}

/**
 * Imports one object of the event. A run left pending, or held by another invocation, is answered as a
 * value (`notDone`), not thrown: respondToS3Event lists its SQS message in batchItemFailures, and a
 * direct event throws in {@link respondFor}.
 */
async function importOne(
  ref: S3ObjectRef,
  { options, logger, ignoreKey, getConnection, client, deadline }: ImportOneContext,
): Promise<S3ImportItemResult | NotDone<S3ImportItemResult>> {
  if (!isObjectCreated(ref.eventName)) {
    // A deletion, restore, tagging or lifecycle event names an object that is not new input (as
    // Powertools' parser schemas classify S3 and EventBridge events): one line, and the event is done.
    logger.info(`ignored: not an "object created" event (${ref.eventName})`, {
      source: `s3://${ref.bucket}/${ref.key}`,
    });
    return { bucket: ref.bucket, key: ref.key, ok: true, status: 'ignored' };
  }
  if (ignoreKey(ref.key)) {
    logger.info('ignored: the key is in a folder this handler writes to', {
      source: `s3://${ref.bucket}/${ref.key}`,
    });
    return { bucket: ref.bucket, key: ref.key, ok: true, status: 'ignored' };
  }
  // The handler's options are the flow's settings plus its own; the flow reads only its own fields.
  const result = await importCsv({
    ...options,
    s3Client: client,
    connection: await getConnection(),
    bucket: ref.bucket,
    key: ref.key,
    eTag: ref.eTag,
    versionId: ref.versionId,
    deadline,
    logger,
  });
  const item = { bucket: ref.bucket, key: ref.key, status: result.status, result };
  if (result.status === 'skipped' && result.reason === 'in-progress') {
    // Another invocation holds the run: not done, so the platform delivers the event again later.
    return notDone({ ...item, ok: false, error: inProgressError(result) });
  }
  // Reported as not done: SQS redelivers the message, Lambda retries the event; that call finishes the run.
  if (result.status === 'pending') return notDone({ ...item, ok: false });
  return { ...item, ok: true };
}

/** The handler's answer: every object's result, logged failures, and a throw for an unfinished direct event. */
function respondFor(
  response: S3EventResponse<S3ImportItemResult, S3ImportItemResult>,
  logger: Logger,
): S3ImportHandlerResponse {
  const results: S3ImportItemResult[] = response.results.map((item) => {
    if (item.ok) return item.value;
    if ('notDone' in item) return item.notDone;
    const error = item.error;
    logger.error('object failed', { source: `s3://${item.ref.bucket}/${item.ref.key}`, error: redact(error) });
    return { bucket: item.ref.bucket, key: item.ref.key, ok: false, error: describeError(error) };
  });
  for (const rejected of response.rejected) {
    logger.error('SQS message is not an S3 event', { messageId: rejected.messageId, error: rejected.error.message });
  }
  const isSqs = response.results.some((item) => item.ref.messageId !== undefined) || response.rejected.length > 0;
  const unfinished = results.filter((item) => !item.ok);
  if (!isSqs && unfinished.length > 0) throw new S3ImportIncompleteError(unfinished);
  return { batchItemFailures: response.batchItemFailures, results };
}

/**
 * True for S3's `ObjectCreated:*` and EventBridge's `Object Created`; events without a name (hand-made
 * test events) count as created.
 */
function isObjectCreated(eventName: string | undefined): boolean {
  if (eventName === undefined) return true;
  return eventName.startsWith('ObjectCreated:') || eventName === 'Object Created';
}

/** How a result turned away by a live lease describes itself (code `RUN_IN_PROGRESS`). */
function inProgressError(result: ImportCsvResult): NonNullable<S3ImportItemResult['error']> {
  return {
    name: 'InProgressRun',
    code: 'RUN_IN_PROGRESS',
    message: `another invocation holds this run${result.heldUntil ? ` until ${result.heldUntil}` : ''}; deliver it again later`,
  };
}

function describeError(error: unknown): { name: string; code?: string; message: string } {
  if (error instanceof KicksawError) return { name: error.name, code: error.code, message: error.message };
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

/** Environment variable names read by {@link s3ImportHandlerOptionsFromEnv}. */
export const HANDLER_ENV_NAMES = {
  object: 'KICKSAW_OBJECT',
  operation: 'KICKSAW_OPERATION',
  externalIdField: 'KICKSAW_EXTERNAL_ID_FIELD',
  mapping: 'KICKSAW_MAPPING',
  archiveFolder: 'KICKSAW_ARCHIVE_FOLDER',
  errorFolder: 'KICKSAW_ERROR_FOLDER',
  stateFolder: 'KICKSAW_STATE_FOLDER',
  reserveMs: 'KICKSAW_RESERVE_MS',
  leaseMs: 'KICKSAW_LEASE_MS',
  maxStalledAttempts: 'KICKSAW_MAX_STALLED_ATTEMPTS',
  region: 'AWS_REGION',
  salesforce: 'SF_INSTANCE_URL',
} as const;

/**
 * Handler options from environment variables, for a handler configured in its deployment (the SAM
 * template): `KICKSAW_OBJECT`, `KICKSAW_OPERATION`, `KICKSAW_EXTERNAL_ID_FIELD`, `KICKSAW_MAPPING` (JSON),
 * `KICKSAW_ARCHIVE_FOLDER`, `KICKSAW_ERROR_FOLDER`, `KICKSAW_STATE_FOLDER`, `KICKSAW_RESERVE_MS`,
 * `KICKSAW_LEASE_MS`, `KICKSAW_MAX_STALLED_ATTEMPTS`,
 * `AWS_REGION`, and the Salesforce variables of `@kicksaw/sf-bulk` (`SF_INSTANCE_URL`, `SF_LOGIN_URL`,
 * `SF_CLIENT_ID`, ...). `overrides` win over the environment. Errors name the variable.
 *
 * @example
 * ```ts
 * export const handler = createS3ImportHandler(s3ImportHandlerOptionsFromEnv(process.env, { logger }));
 * ```
 */
export function s3ImportHandlerOptionsFromEnv(
  env: Record<string, string | undefined>,
  overrides: Partial<S3ImportHandlerOptions> = {},
): S3ImportHandlerOptions {
  const read = (name: string) => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  let mapping: unknown = overrides.mapping;
  const mappingText = read(HANDLER_ENV_NAMES.mapping);
  if (mapping === undefined && mappingText !== undefined) {
    try {
      mapping = JSON.parse(mappingText);
    } catch (error) {
      throw new ConfigError('is not valid JSON', { setting: HANDLER_ENV_NAMES.mapping, cause: error });
    }
  }
  const reserveText = read(HANDLER_ENV_NAMES.reserveMs);
  const reserveMs = reserveText === undefined ? undefined : Number(reserveText);
  const leaseText = read(HANDLER_ENV_NAMES.leaseMs);
  const stalledText = read(HANDLER_ENV_NAMES.maxStalledAttempts);
  const salesforce =
    overrides.salesforce ?? (overrides.connection ? undefined : (salesforceConfigFromEnv(env) as SalesforceConfig));
  const options = {
    object: read(HANDLER_ENV_NAMES.object),
    operation: read(HANDLER_ENV_NAMES.operation),
    externalIdField: read(HANDLER_ENV_NAMES.externalIdField),
    mapping,
    archiveFolder: read(HANDLER_ENV_NAMES.archiveFolder),
    errorFolder: read(HANDLER_ENV_NAMES.errorFolder),
    stateFolder: read(HANDLER_ENV_NAMES.stateFolder),
    region: read(HANDLER_ENV_NAMES.region),
    reserveMs,
    leaseMs: leaseText === undefined ? undefined : Number(leaseText),
    maxStalledAttempts: stalledText === undefined ? undefined : Number(stalledText),
    ...(salesforce ? { salesforce } : {}),
    settingNames: { ...HANDLER_ENV_NAMES },
    ...overrides,
  };
  const cleaned = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  return cleaned as unknown as S3ImportHandlerOptions;
}
