import { type FileHandle, open } from 'node:fs/promises';
import { type BufferPool, readPool } from './buffer-pool.js';

/**
 * Reads a file in chunks through one reused buffer from `pool`: no garbage Buffers. The consumer
 * must be done with a chunk before asking for the next (the buffer is read into again); the buffer
 * goes back to the pool when the iteration ends, however it ends.
 */
export async function* readFileChunks(path: string, pool: BufferPool = readPool): AsyncGenerator<Uint8Array> {
  const handle = await open(path, 'r');
  const buffer = pool.take();
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    pool.give(buffer);
    await handle.close();
  }
}

/** Writes the first `length` bytes of `buffer` at the file's position, however many calls that takes. */
export async function writeAll(file: FileHandle, buffer: Uint8Array, length: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesWritten } = await file.write(buffer, done, length - done);
    done += bytesWritten;
  }
}
