import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { InputError } from '@kicksaw/core';

/** What {@link readCsv} reads: a file path, a Node stream (an S3 `GetObject` body), or any async iterable of chunks. */
export type CsvSource = string | Readable | AsyncIterable<Uint8Array | string>;

/** Chunk size for reading files from disk. */
const FILE_CHUNK_BYTES = 64 * 1024;

/**
 * Turns any {@link CsvSource} into an async iterator of Buffers (no copy for Buffers and Uint8Arrays). A file is
 * read from byte `start` on; a stream or iterable is taken to begin there already.
 */
export function bytesOf(source: CsvSource, name: string | undefined, start = 0): AsyncIterator<Buffer> {
  if (typeof source === 'string') return fileBytes(source, name ?? source, start);
  if (source === null || typeof source !== 'object' || !(Symbol.asyncIterator in source)) {
    throw new InputError('readCsv needs a file path, a Node Readable stream or an async iterable of chunks', {
      code: 'CSV_BAD_SOURCE',
      source: name,
    });
  }
  return toBuffers(source as AsyncIterable<unknown>, name)[Symbol.asyncIterator]();
}

async function* fileBytes(path: string, name: string, start: number): AsyncGenerator<Buffer> {
  const stream = createReadStream(path, { highWaterMark: FILE_CHUNK_BYTES, start });
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new InputError('File not found', { code: 'CSV_NOT_FOUND', source: name, cause: error });
    if (code === 'EISDIR')
      throw new InputError('Is a directory, not a file', { code: 'CSV_BAD_SOURCE', source: name, cause: error });
    throw error;
  } finally {
    stream.destroy();
  }
}

async function* toBuffers(source: AsyncIterable<unknown>, name: string | undefined): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    if (Buffer.isBuffer(chunk)) yield chunk;
    else if (chunk instanceof Uint8Array) yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    else if (typeof chunk === 'string') yield Buffer.from(chunk, 'utf8');
    else {
      throw new InputError(`readCsv source gave a chunk of type ${typeof chunk}; expected bytes or text`, {
        code: 'CSV_BAD_SOURCE',
        source: name,
      });
    }
  }
}
