import { close, open, read } from 'node:fs';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { InputError } from '@kicksaw/core';

/** What {@link readCsv} reads: a file path, a Node stream (an S3 `GetObject` body), or any async iterable of chunks. */
export type CsvSource = string | Readable | AsyncIterable<Uint8Array | string>;

/** Chunk size for reading files from disk. */
const FILE_CHUNK_BYTES = 64 * 1024;

/**
 * Turns any {@link CsvSource} into an async iterator of Buffers (no copy for Buffers and Uint8Arrays). A file is
 * read from byte `start` on; a stream or iterable is taken to begin there already. A file's chunks are read into
 * two buffers in turn, so a chunk is valid until the second read after it: a caller that keeps chunks longer
 * copies them.
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

/**
 * A file's bytes, read into two buffers in turn. Why not `createReadStream`: it reads each chunk into a fresh buffer
 * outside the JS heap, which only a garbage collection frees; a 1 GB file left a trail of 16,000 of them, and the
 * ones alive when the young generation is collected are moved to the old one and wait there for a full collection
 * (the readers here are done with a chunk before they ask for the next one but one, see {@link bytesOf}). From
 * byte 0 the reads are sequential (a named pipe or a device works too); from another start, positioned.
 */
async function* fileBytes(path: string, name: string, start: number): AsyncGenerator<Buffer> {
  const buffers = [Buffer.allocUnsafeSlow(FILE_CHUNK_BYTES), Buffer.allocUnsafeSlow(FILE_CHUNK_BYTES)];
  let fd: number | undefined;
  try {
    fd = await openFile(path, 'r');
    let position = start;
    for (let turn = 0; ; turn ^= 1) {
      const buffer = buffers[turn] as Buffer;
      const bytesRead = await readInto(fd, buffer, 0, buffer.length, start === 0 ? null : position);
      if (bytesRead === 0) return;
      position += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new InputError('File not found', { code: 'CSV_NOT_FOUND', source: name, cause: error });
    if (code === 'EISDIR')
      throw new InputError('Is a directory, not a file', { code: 'CSV_BAD_SOURCE', source: name, cause: error });
    throw error;
  } finally {
    if (fd !== undefined) await closeFile(fd);
  }
}

// A plain file descriptor, not a FileHandle: a reader its caller drops unfinished (only its header was wanted) keeps
// the file open as `createReadStream` did, instead of a FileHandle closed by the garbage collector with a warning.
const openFile = promisify(open);
const closeFile = promisify(close);
const readInto = (fd: number, buffer: Buffer, offset: number, length: number, position: number | null) =>
  new Promise<number>((resolve, reject) =>
    read(fd, buffer, offset, length, position, (error, bytesRead) => (error ? reject(error) : resolve(bytesRead))),
  );

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
