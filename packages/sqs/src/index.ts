export type { EntryFailure, RetryOptions } from './batch.js';
export { SqsError, SqsQueueNotFoundError, type SqsQueueNotFoundErrorOptions } from './errors.js';
export { acknowledgeMessages, type PulledMessages, pullMessages, sendMessages } from './functions.js';
export {
  type CreateSqsHandlerOptions,
  createSqsHandler,
  type RespondToSqsEventOptions,
  respondToSqsEvent,
  type SqsBatchResponse,
  type SqsEvent,
  type SqsEventRecord,
  type SqsEventResponse,
  type SqsRecordResult,
} from './lambda.js';
export { MAX_BATCH_BYTES, MAX_BATCH_ENTRIES, MAX_MESSAGE_BYTES, messageSize } from './limits.js';
export type { AttributeValue, MessageAttributes, PerMessage, SendFailure, SendOptions } from './message-entry.js';
export { SqsQueue, type SqsQueueOptions } from './queue.js';
export { getQueueUrl } from './queue-url.js';
export type {
  ChangeVisibilityResult,
  DeleteAllResult,
  ReceiptFailure,
  ReceiptOptions,
  ReceiptTarget,
} from './receipts.js';
export type { MessageProblem, Received, ReceivedMessage, ReceiveOptions } from './receive.js';
export type {
  MessageDecoder,
  MessageEncoder,
  MessageInput,
  MessageIssue,
  MessageOutput,
  MessageSchema,
} from './schema.js';
export type { SendAllOptions, SendAllResult, SendResult, SentMessage, UnsentMessage } from './send.js';
