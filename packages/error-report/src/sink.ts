import { closeSync, createWriteStream, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { KicksawError } from '@kicksaw/core';

/** Text is handed to the stream in chunks of about this many characters. */
const CHUNK_CHARS = 64 * 1024;

/** Where a report goes and how the stream is treated. */
export interface SinkOptions {
  /** A file path (directories are created) or any writable stream. */
  output: Writable | string;
  /**
   * For a path: append to the file when it already exists (as the Python kicksaw-integration-utils did across batches).
   * When the file is not empty, no header and no BOM are written again. Default `false` (truncate).
   */
  append?: boolean;
  /** For a stream: end it when the report ends. Default `true`. (A file we opened is always closed.) */
  endOutput?: boolean;
}

/**
 * A buffered, backpressure-aware text sink over a file or a stream. Memory stays within one
 * chunk plus the stream's own buffer, whatever the report's size.
 */
export class TextSink {
  readonly stream: Writable;
  /** `true` when appending to a file that already had content. */
  readonly continuing: boolean;
  /** When continuing: the file's first line (without BOM and line ending), to check the header against. */
  readonly existingHeader: string | undefined;
  private readonly ownsStream: boolean;
  private readonly endOutput: boolean;
  private buffer = '';
  private failure: unknown;
  private closed = false;

  constructor(options: SinkOptions) {
    if (typeof options.output === 'string') {
      const path = options.output;
      mkdirSync(dirname(path), { recursive: true });
      this.continuing = options.append === true && fileSize(path) > 0;
      this.existingHeader = this.continuing ? firstLine(path) : undefined;
      this.stream = createWriteStream(path, { flags: options.append ? 'a' : 'w', encoding: 'utf8' });
      this.ownsStream = true;
      this.endOutput = true;
    } else {
      this.stream = options.output;
      this.continuing = false;
      this.existingHeader = undefined;
      this.ownsStream = false;
      this.endOutput = options.endOutput !== false;
    }
    this.stream.on('error', (error) => {
      this.failure ??= error;
    });
  }

  /**
   * Adds text. Returns a promise only when the buffer was handed to the stream (await it: it settles
   * when the stream has room again); otherwise `undefined`, so the common case costs no promise.
   */
  push(text: string): Promise<void> | undefined {
    this.check();
    this.buffer += text;
    if (this.buffer.length >= CHUNK_CHARS) return this.flush();
    return undefined;
  }

  /** Hands the buffered text to the stream and waits for it to drain if it is full. */
  async flush(): Promise<void> {
    this.check();
    if (this.buffer.length === 0) return;
    const chunk = this.buffer;
    this.buffer = '';
    if (!this.stream.write(chunk, 'utf8')) await this.drain();
  }

  /** Flushes, then ends (and for a file, closes) the stream, unless told to leave it open. */
  async close(): Promise<void> {
    if (this.closed) {
      this.check();
      return;
    }
    await this.flush();
    this.closed = true;
    if (!this.endOutput) return;
    this.stream.end();
    try {
      if (this.ownsStream) {
        await new Promise<void>((resolve, reject) => {
          this.stream.once('close', resolve);
          this.stream.once('error', reject);
          if (this.stream.closed) resolve();
        });
      } else {
        await finished(this.stream, { readable: false });
      }
    } catch (error) {
      this.failure ??= error;
    }
    this.check();
  }

  /** Destroys the stream (after a failure elsewhere). */
  destroy(error?: unknown): void {
    this.failure ??= error;
    this.closed = true;
    this.stream.destroy(error instanceof Error ? error : undefined);
  }

  private drain(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const cleanup = () => {
        this.stream.off('drain', onDrain);
        this.stream.off('error', onError);
        this.stream.off('close', onClose);
      };
      const onDrain = () => {
        cleanup();
        resolve();
      };
      const onError = (error: unknown) => {
        cleanup();
        reject(wrap(error));
      };
      const onClose = () => {
        cleanup();
        reject(wrap(this.failure ?? new Error('the output stream closed before the report was written')));
      };
      this.stream.on('drain', onDrain);
      this.stream.on('error', onError);
      this.stream.on('close', onClose);
    });
  }

  private check(): void {
    if (this.failure !== undefined) throw wrap(this.failure);
    if (this.stream.destroyed && !this.closed) {
      throw wrap(new Error('the output stream was destroyed before the report was written'));
    }
  }
}

function wrap(error: unknown): KicksawError {
  if (error instanceof KicksawError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new KicksawError(`Could not write the error report: ${reason}`, { code: 'REPORT_WRITE_FAILED', cause: error });
}

/** The first line of a file (up to 64 KiB), without a BOM or line ending. */
function firstLine(path: string): string {
  const buffer = Buffer.alloc(64 * 1024);
  const fd = openSync(path, 'r');
  let length: number;
  try {
    length = readSync(fd, buffer, 0, buffer.length, 0);
  } finally {
    closeSync(fd);
  }
  const text = buffer
    .subarray(0, length)
    .toString('utf8')
    .replace(/^\uFEFF/, '');
  const end = text.search(/\r\n|\n|\r/);
  return end === -1 ? text : text.slice(0, end);
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
