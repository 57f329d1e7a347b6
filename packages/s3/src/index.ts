export { cacheJson, readCachedJson } from './cache.js';
export { createS3Client } from './client.js';
export { S3ObjectNotFoundError, type S3ObjectNotFoundErrorOptions } from './errors.js';
export {
  decodeS3EventKey,
  type NotDone,
  notDone,
  parseKinesisRecord,
  parseS3Event,
  type RespondToS3EventOptions,
  respondToS3Event,
  type S3EventResponse,
  type S3EventResult,
  type S3EventSource,
  type S3ObjectRef,
} from './events.js';
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
export {
  type CopyObjectOptions,
  type CopyPart,
  copyObject,
  deleteObject,
  downloadToFile,
  getObjectStream,
  headObject,
  listKeys,
  localPathForKey,
  MAX_PART_SIZE,
  MAX_PARTS,
  MIN_PART_SIZE,
  moveObject,
  type ObjectHead,
  type ObjectLocation,
  type ObjectStream,
  objectExists,
  type PutResult,
  partSizeFor,
  planCopyParts,
  type UploadBody,
  type UploadObjectOptions,
  uploadFile,
  uploadObject,
} from './objects.js';
