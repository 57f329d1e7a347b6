export type { EntryFailure, RetryOptions } from './batch.js';
export { SqsError, SqsQueueNotFoundError, type SqsQueueNotFoundErrorOptions } from './errors.js';
export {
  acknowledgeMessages,
  getQueueUrl,
  type PulledMessages,
  pullMessages,
  sendMessages,
} from './functions.js';
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
export {
  type AttributeValue,
  type ChangeVisibilityResult,
  type DeleteAllResult,
  type MessageAttributes,
  type MessageProblem,
  type PerMessage,
  type ReceiptFailure,
  type ReceiptOptions,
  type ReceiptTarget,
  type Received,
  type ReceivedMessage,
  type ReceiveOptions,
  type SendAllOptions,
  type SendAllResult,
  type SendFailure,
  type SendOptions,
  type SendResult,
  type SentMessage,
  SqsQueue,
  type SqsQueueOptions,
  type UnsentMessage,
} from './queue.js';
export type {
  MessageDecoder,
  MessageEncoder,
  MessageInput,
  MessageIssue,
  MessageOutput,
  MessageSchema,
} from './schema.js';
