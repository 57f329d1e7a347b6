import { KicksawError, type KicksawErrorOptions } from '@kicksaw/core';

/**
 * The base class of errors this package throws (a broken setup: a queue that does not exist, access
 * denied). Per-message problems (a message too large, one that fails its schema, a delete SQS
 * refused) are never thrown: they come back as results. `code` says which case it is.
 *
 * @example
 * ```ts
 * try {
 *   await queue.url();
 * } catch (error) {
 *   if (error instanceof SqsError) logger.error(error.message, { code: error.code });
 *   throw error;
 * }
 * ```
 */
export class SqsError extends KicksawError {
  constructor(message: string, options: KicksawErrorOptions = {}) {
    super(message, { code: options.code ?? 'SQS_ERROR', cause: options.cause });
  }
}

/**
 * Where a missing queue was looked for.
 *
 * @example
 * ```ts
 * throw new SqsQueueNotFoundError({ queue: 'contacts-to-sync', accountId: '123456789012' });
 * ```
 */
export interface SqsQueueNotFoundErrorOptions {
  /** The queue's name, or its URL when that is what was given. */
  queue: string;
  /** The account that was asked, when one was given. */
  accountId?: string;
  cause?: unknown;
}

/**
 * The queue does not exist (SQS answered `QueueDoesNotExist`), or this client may not see it. The
 * message names the queue and the account that was asked.
 *
 * @example
 * ```ts
 * const queue = new SqsQueue({ client, schema, queueName: 'contacts-to-sync' });
 * await queue.url(); // SqsQueueNotFoundError: SQS queue "contacts-to-sync" does not exist ...
 * ```
 */
export class SqsQueueNotFoundError extends SqsError {
  /** The queue's name or URL. */
  readonly queue: string;
  /** The account that was asked, when one was given. */
  readonly accountId: string | undefined;

  constructor(options: SqsQueueNotFoundErrorOptions) {
    const account = options.accountId ? ` in account ${options.accountId}` : '';
    super(
      `SQS queue "${options.queue}" does not exist${account}, or these credentials may not see it. Check the queue name, the region of the SQSClient and the account id.`,
      { code: 'SQS_QUEUE_NOT_FOUND', cause: options.cause },
    );
    this.queue = options.queue;
    this.accountId = options.accountId;
  }
}

/** Error names that mean the queue or the credentials are unusable: no later request can succeed. */
const FATAL_NAMES = new Set([
  'QueueDoesNotExist',
  'AWS.SimpleQueueService.NonExistentQueue',
  'AccessDenied',
  'AccessDeniedException',
  'InvalidAddress',
  'InvalidSecurity',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'MissingAuthenticationToken',
  'ExpiredToken',
  'ExpiredTokenException',
  'CredentialsProviderError',
  'KmsAccessDenied',
  'KmsDisabled',
  'KmsNotFound',
  'KmsInvalidState',
  'KmsInvalidKeyUsage',
  'KmsOptInRequired',
]);

/** Error names SQS documents as transient. */
const RETRYABLE_NAMES = new Set([
  'RequestThrottled',
  'ThrottlingException',
  'KmsThrottled',
  'ServiceUnavailable',
  'InternalError',
  'InternalFailure',
  'TimeoutError',
  'RequestTimeout',
]);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  $fault?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** The error's SQS name (`QueueDoesNotExist`, `RequestThrottled`, ...) or its Node code (`ECONNRESET`). */
export function errorName(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'UnknownError';
  const { name, code } = error as SdkErrorShape;
  if (typeof name === 'string' && name !== 'Error') return name;
  if (typeof code === 'string') return code;
  return typeof name === 'string' ? name : 'UnknownError';
}

/** True when the error says the queue or the credentials are unusable (a retry cannot help). */
export function isFatalRequestError(error: unknown): boolean {
  return FATAL_NAMES.has(errorName(error));
}

/**
 * True when a whole request failed for a reason that may pass: throttling, a server-side fault, a
 * dropped connection. The SDK has already retried these by its own policy when we see them.
 */
export function isRetryableRequestError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const shape = error as SdkErrorShape;
  if (shape.$retryable) return true;
  if (RETRYABLE_NAMES.has(errorName(error))) return true;
  if (shape.$fault === 'server') return true;
  const status = shape.$metadata?.httpStatusCode;
  if (typeof status === 'number') return status >= 500 || status === 429;
  // No HTTP status: the request never got an answer (connection refused, reset, timed out).
  return shape.$fault === undefined && !isFatalRequestError(error);
}

/** True when the error is `QueueDoesNotExist` in either of its spellings. */
export function isQueueNotFound(error: unknown): boolean {
  const name = errorName(error);
  return name === 'QueueDoesNotExist' || name === 'AWS.SimpleQueueService.NonExistentQueue';
}

/** The error's message, for per-entry failures. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
