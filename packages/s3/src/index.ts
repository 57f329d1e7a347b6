export { cacheJson, readCachedJson } from './cache.js';
export { createS3Client } from './client.js';
export { type CopyObjectOptions, copyObject, moveObject } from './copy.js';
export { deleteObject } from './delete.js';
export { downloadToFile, localPathForKey } from './download.js';
export { S3ObjectNotFoundError, type S3ObjectNotFoundErrorOptions } from './errors.js';
export {
  type NotDone,
  notDone,
  type RespondToS3EventOptions,
  respondToS3Event,
  type S3EventResponse,
  type S3EventResult,
} from './event-response.js';
export { decodeS3EventKey, parseKinesisRecord, parseS3Event, type S3EventSource, type S3ObjectRef } from './events.js';
export {
  type ArchiveKeyOptions,
  archiveKeyFor,
  dateFolderKey,
  fileNameOf,
  prefixOf,
  type TimestampKeyOptions,
  timestampKey,
} from './keys.js';
export { consoleUrl, MAX_PRESIGN_SECONDS, presignGetUrl } from './links.js';
export { listKeys } from './list.js';
export { type CopyPart, MAX_PART_SIZE, MAX_PARTS, MIN_PART_SIZE, partSizeFor, planCopyParts } from './parts.js';
export {
  getObjectStream,
  headObject,
  type ObjectHead,
  type ObjectLocation,
  type ObjectStream,
  objectExists,
} from './read.js';
export { type PutResult, type UploadBody, type UploadObjectOptions, uploadFile, uploadObject } from './upload.js';
