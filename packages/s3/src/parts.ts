/**
 * S3's multipart limits and how big a part to cut: for uploads ({@link partSizeFor}) and for
 * server-side copies ({@link planCopyParts}).
 */
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** S3's smallest part (all but the last). */
export const MIN_PART_SIZE = 5 * MiB;
/** S3's largest part, and the largest object a single CopyObject can copy. */
export const MAX_PART_SIZE = 5 * GiB;
/** S3's limit on the number of parts of a multipart upload. */
export const MAX_PARTS = 10_000;

/**
 * The part size for an upload of `size` bytes (unknown: `undefined`): 5 MiB, or more only when
 * 10,000 parts of 5 MiB would not hold the body.
 *
 * @example
 * ```ts
 * partSizeFor(50 * 1024 * 1024); // 5242880
 * partSizeFor(100 * 1024 ** 3); // 10737419 (100 GiB in 10,000 parts)
 * ```
 */
export function partSizeFor(size: number | undefined): number {
  if (size === undefined) return MIN_PART_SIZE;
  return Math.max(MIN_PART_SIZE, Math.ceil(size / MAX_PARTS));
}

/** One part of a multipart copy: an inclusive byte range of the source. */
export interface CopyPart {
  partNumber: number;
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive. */
  end: number;
}

/**
 * Cuts an object of `size` bytes into the byte ranges of a multipart copy (UploadPartCopy):
 * parts of `partSize` (default 512 MiB, raised when 10,000 parts would not hold the object), the
 * last one shorter.
 *
 * @example
 * ```ts
 * planCopyParts(12 * 1024 ** 3).length; // 24 parts of 512 MiB
 * ```
 */
export function planCopyParts(size: number, partSize = 512 * MiB): CopyPart[] {
  if (!Number.isSafeInteger(size) || size < 1)
    throw new RangeError(`size must be a positive whole number, got ${size}`);
  const part = Math.max(partSize, Math.ceil(size / MAX_PARTS));
  if (part < MIN_PART_SIZE || part > MAX_PART_SIZE) {
    throw new RangeError(`partSize must be between 5 MiB and 5 GiB, got ${part}`);
  }
  const parts: CopyPart[] = [];
  for (let start = 0, partNumber = 1; start < size; start += part, partNumber += 1) {
    parts.push({ partNumber, start, end: Math.min(start + part, size) - 1 });
  }
  return parts;
}
