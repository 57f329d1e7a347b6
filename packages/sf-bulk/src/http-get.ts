import type { FileHandle } from 'node:fs/promises';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { KicksawError } from '@kicksaw/core';
import { piecePool, readPool } from './buffer-pool.js';
import { writeAll } from './file-io.js';

const EMPTY = Buffer.alloc(0);

/**
 * A GET whose 2xx body goes straight to a file, over a socket that reads into one reused buffer
 * (`onread`). Why not `fetch` or node:http: both allocate a fresh buffer for every read from the
 * socket, so a result download of tens of megabytes leaves as many megabytes of dead buffers behind,
 * which the process frees only at its next garbage collection and which fragment the allocator's
 * heap: the resident memory of a long run grows with the number of rows downloaded. Here the bytes
 * are copied from the read buffer into two alternating staging buffers that are written to the file,
 * so a download of any size allocates nothing per read.
 *
 * The protocol side is HTTP/1.1 as Salesforce serves results: one request per connection
 * (`Connection: close`), a body framed by Content-Length, chunked transfer coding, or the end of the
 * connection; no content coding is asked for. Not supported: proxies (like the engine's `fetch`
 * calls, which ignore `http_proxy` too).
 */

/**
 * A failure of the transport (connection refused, reset, closed early, timed out; code `SF_TRANSPORT_FAILED`).
 * Retryable.
 */
export class TransportError extends KicksawError {
  override name = 'TransportError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { code: 'SF_TRANSPORT_FAILED', cause: options.cause });
  }
}

/** The answer of {@link getToFile}. For a non-2xx status the body is in `text()`, not in the file. */
export interface GetToFileAnswer {
  status: number;
  ok: boolean;
  headers: Record<string, string>;
  /** Body bytes written to the file. */
  bytes: number;
  text(): Promise<string>;
}

/** Options of {@link getToFile}. */
export interface GetToFileOptions {
  /** Milliseconds without any socket activity before the attempt fails. Default 300,000. */
  idleTimeoutMs?: number;
  /** Size of the socket read buffer and of each staging buffer. Default 64 KiB / 256 KiB. */
  readBufferBytes?: number;
  stagingBytes?: number;
  /** Extra TLS settings for an https URL (a private CA: `ca`). */
  tls?: ConnectionOptions;
}

const MAX_HEAD_BYTES = 64 * 1024;
const MAX_TEXT_BYTES = 1 << 20;

/**
 * Sends `GET url` with `headers` and writes a 2xx body to `file` (from its current position).
 * Resolves once the body is complete and written; rejects with {@link TransportError} when the
 * connection fails or ends early, with the file's error, or with a plain `Error` for what a retry
 * cannot mend (a header name or value with a line break: then nothing is sent; a content-encoded
 * 2xx body).
 */
export function getToFile(
  url: string,
  headers: Record<string, string>,
  file: FileHandle,
  options: GetToFileOptions = {},
): Promise<GetToFileAnswer> {
  return new Download(new URL(url), headers, file, options).run();
}

type State = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'close' | 'done';

class Download {
  private socket: Socket | undefined;
  private state: State = 'head';
  private head = '';
  private status = 0;
  private answerHeaders: Record<string, string> = {};
  /** Bytes left in the body (length framing) or in the current chunk. */
  private left = 0;
  private line = '';
  private toFile = false;
  private text: Buffer[] = [];
  private textBytes = 0;
  private sink: FileSink | undefined;
  private settled = false;
  private resolve!: (answer: GetToFileAnswer) => void;
  private reject!: (error: Error) => void;

  constructor(
    private readonly url: URL,
    private readonly headers: Record<string, string>,
    private readonly file: FileHandle,
    private readonly options: GetToFileOptions,
  ) {}

  run(): Promise<GetToFileAnswer> {
    return new Promise<GetToFileAnswer>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      try {
        this.connect();
      } catch (error) {
        this.fail(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  private connect(): void {
    const { url } = this;
    const secure = url.protocol === 'https:';
    if (!secure && url.protocol !== 'http:') throw new Error(`Unsupported protocol ${url.protocol}`);
    for (const [name, value] of Object.entries(this.headers)) {
      if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) throw new Error(`Header ${name} holds a line break`);
    }
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = Number(url.port || (secure ? 443 : 80));
    const readBuffer = this.options.readBufferBytes
      ? Buffer.allocUnsafe(this.options.readBufferBytes)
      : readPool.take();
    const onread = {
      buffer: readBuffer,
      callback: (length: number, buffer: Uint8Array): boolean => this.onData(buffer, length),
    };
    const socket = secure
      ? tlsConnect({ ...this.options.tls, host, port, ...(isIP(host) ? {} : { servername: host }), onread } as never)
      : netConnect({ host, port, onread });
    this.socket = socket;
    socket.setTimeout(this.options.idleTimeoutMs ?? 300_000, () => {
      socket.destroy(new TransportError(`no data for ${this.options.idleTimeoutMs ?? 300_000} ms`));
    });
    // A failed file write also ends here (the sink destroys the socket): report it as it is, not retried.
    socket.on('error', (error) =>
      this.fail((this.sink?.failure as Error | undefined) ?? new TransportError(error.message, { cause: error })),
    );
    socket.on('close', () => {
      // The socket reads no more into its buffer once closed.
      if (!this.options.readBufferBytes) readPool.give(readBuffer);
      this.onClose();
    });
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`, 'Connection: close'];
      for (const [name, value] of Object.entries(this.headers)) lines.push(`${name}: ${value}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
  }

  /** Handles bytes read into the socket's buffer; returns false to pause the socket. */
  private onData(buffer: Uint8Array, length: number): boolean {
    if (this.settled) return false;
    try {
      return this.consume(buffer, 0, length);
    } catch (error) {
      // Rejects with this error as it is (the socket's error handler would make it a TransportError).
      this.fail(error instanceof Error ? error : new Error(String(error)));
      return false;
    }
  }

  private consume(buffer: Uint8Array, start: number, end: number): boolean {
    let at = start;
    let flowing = true;
    while (at < end && this.state !== 'done') {
      switch (this.state) {
        case 'head': {
          const before = this.head.length;
          this.head += Buffer.from(buffer.buffer, buffer.byteOffset + at, end - at).toString('latin1');
          const stop = this.head.indexOf('\r\n\r\n');
          if (stop < 0) {
            if (this.head.length > MAX_HEAD_BYTES) throw new TransportError('the answer head is too long');
            at = end;
            break;
          }
          at += stop + 4 - before;
          const head = this.head.slice(0, stop);
          this.head = '';
          this.startBody(head);
          break;
        }
        case 'length':
        case 'chunk-data': {
          // `left` bytes of body: the rest of a Content-Length body, or of the current chunk.
          const n = Math.min(this.left, end - at);
          flowing = this.body(buffer, at, at + n) && flowing;
          at += n;
          this.left -= n;
          if (this.left === 0) this.state = this.state === 'length' ? 'done' : 'chunk-end';
          break;
        }
        case 'close': {
          flowing = this.body(buffer, at, end) && flowing;
          at = end;
          break;
        }
        case 'chunk-size':
        case 'chunk-end':
        case 'trailers': {
          const newline = indexOfByte(buffer, 10, at, end);
          const stop = newline < 0 ? end : newline;
          this.line += Buffer.from(buffer.buffer, buffer.byteOffset + at, stop - at).toString('latin1');
          if (this.line.length > MAX_HEAD_BYTES) throw new TransportError('a chunk line is too long');
          at = newline < 0 ? end : newline + 1;
          if (newline >= 0) {
            const line = this.line.replace(/\r$/, '');
            this.line = '';
            this.endLine(line);
          }
          break;
        }
        default:
          at = end;
      }
    }
    if (this.state === 'done') {
      this.finish();
      return false;
    }
    return flowing;
  }

  private startBody(head: string): void {
    const lines = head.split('\r\n');
    const statusLine = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
    if (!statusLine) throw new TransportError(`not an HTTP answer: ${(lines[0] ?? '').slice(0, 80)}`);
    const status = Number(statusLine[1]);
    if (status >= 100 && status < 200) return; // an interim answer: the real head follows
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    }
    this.status = status;
    this.answerHeaders = headers;
    this.toFile = status >= 200 && status < 300;
    const coding = headers['content-encoding'];
    if (this.toFile && coding && coding.toLowerCase() !== 'identity') {
      throw new Error(`The answer is ${coding}-encoded, which was not asked for`);
    }
    if (this.toFile) this.sink = new FileSink(this.file, this.options.stagingBytes ?? 256 * 1024, this.socket);
    if (status === 204 || status === 304) {
      this.state = 'done';
    } else if (/\bchunked\b/i.test(headers['transfer-encoding'] ?? '')) {
      this.state = 'chunk-size';
    } else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (!Number.isSafeInteger(length) || length < 0) throw new TransportError('a bad Content-Length');
      this.left = length;
      this.state = length === 0 ? 'done' : 'length';
    } else {
      this.state = 'close';
    }
  }

  private endLine(line: string): void {
    if (this.state === 'chunk-end') {
      if (line !== '') throw new TransportError('a chunk does not end with a line break');
      this.state = 'chunk-size';
    } else if (this.state === 'chunk-size') {
      const size = Number.parseInt(line.split(';')[0]?.trim() ?? '', 16);
      if (!Number.isSafeInteger(size) || size < 0 || !/^[0-9a-f]+$/i.test(line.split(';')[0]?.trim() ?? '')) {
        throw new TransportError(`a bad chunk size line: ${line.slice(0, 40)}`);
      }
      if (size === 0) this.state = 'trailers';
      else {
        this.left = size;
        this.state = 'chunk-data';
      }
    } else if (this.state === 'trailers' && line === '') {
      this.state = 'done';
    }
  }

  /** Takes body bytes; returns false when the socket should pause (staging full, write pending). */
  private body(buffer: Uint8Array, start: number, end: number): boolean {
    if (end <= start) return true;
    if (this.sink) return this.sink.push(buffer, start, end);
    if (this.textBytes < MAX_TEXT_BYTES) {
      this.text.push(Buffer.from(buffer.subarray(start, end)));
      this.textBytes += end - start;
    }
    return true;
  }

  private onClose(): void {
    if (this.settled) return;
    if (this.state === 'close') {
      this.finish();
      return;
    }
    if (this.state !== 'done') {
      const where = this.state === 'head' ? 'before the answer head' : 'before the answer body ended';
      this.fail(new TransportError(`the connection closed ${where}`));
    }
  }

  private finish(): void {
    if (this.settled) return;
    this.settled = true;
    const socket = this.socket;
    const sink = this.sink;
    const done = sink ? sink.end() : Promise.resolve();
    done.then(
      () => {
        sink?.release();
        socket?.destroy();
        const text = Buffer.concat(this.text).toString('utf8');
        this.text = [];
        this.resolve({
          status: this.status,
          ok: this.toFile,
          headers: this.answerHeaders,
          bytes: this.sink?.bytes ?? 0,
          text: async () => text,
        });
      },
      (error: unknown) => {
        sink?.release();
        socket?.destroy();
        this.reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }

  private fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.socket?.destroy();
    const sink = this.sink;
    const pending = sink ? sink.end().catch(() => undefined) : Promise.resolve();
    pending.then(() => {
      sink?.release();
      this.reject(error);
    });
  }
}

function indexOfByte(buffer: Uint8Array, byte: number, start: number, end: number): number {
  const at = buffer.indexOf(byte, start);
  return at >= 0 && at < end ? at : -1;
}

/**
 * Copies body bytes into two alternating staging buffers; one is written to the file while the
 * other fills. When both are busy the rest of a read is copied aside and the socket paused until
 * the write completes (only when the disk is slower than the network).
 */
class FileSink {
  bytes = 0;
  private staging: [Buffer, Buffer];
  private current = 0;
  private used = 0;
  private writing: Promise<void> | undefined;
  private aside: Buffer[] = [];
  private paused = false;
  private error: unknown;

  private readonly pooled: boolean;

  /** Gives the staging buffers back to the pool; call once {@link end} has settled (no write in flight). */
  release(): void {
    if (!this.pooled || this.writing) return;
    piecePool.give(this.staging[0]);
    piecePool.give(this.staging[1]);
    this.staging = [EMPTY, EMPTY];
  }

  /** The file write error, if any. */
  get failure(): unknown {
    return this.error;
  }

  constructor(
    private readonly file: FileHandle,
    size: number,
    private readonly socket: Socket | undefined,
  ) {
    this.pooled = size === piecePool.size;
    this.staging = this.pooled
      ? [piecePool.take(), piecePool.take()]
      : [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)];
  }

  /** Returns false when the socket should pause. */
  push(source: Uint8Array, start: number, end: number): boolean {
    this.bytes += end - start;
    let at = start;
    while (at < end) {
      const buffer = this.staging[this.current] as Buffer;
      const full = this.used === buffer.length;
      // Bytes already set aside go first; a full buffer with a write in flight has no room.
      if (this.aside.length > 0 || (full && this.writing)) {
        this.aside.push(Buffer.from(source.subarray(at, end)));
        this.paused = true;
        return false;
      }
      if (full) {
        this.flush();
        continue;
      }
      const n = Math.min(buffer.length - this.used, end - at);
      buffer.set(source.subarray(at, at + n), this.used);
      this.used += n;
      at += n;
    }
    return true;
  }

  /** Starts writing the current staging buffer and switches to the other one. */
  private flush(): void {
    const buffer = this.staging[this.current] as Buffer;
    const length = this.used;
    this.current = 1 - this.current;
    this.used = 0;
    this.writing = writeAll(this.file, buffer, length).then(
      () => {
        this.writing = undefined;
        this.drainAside();
      },
      (error: unknown) => {
        this.writing = undefined;
        this.error ??= error;
        this.socket?.destroy(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }

  private drainAside(): void {
    const aside = this.aside;
    this.aside = [];
    for (let i = 0; i < aside.length; i++) {
      const piece = aside[i] as Buffer;
      this.bytes -= piece.length; // push() counts it again
      if (!this.push(piece, 0, piece.length)) {
        // Still busy: what push() set aside goes after the pieces not yet taken.
        this.aside.push(...aside.slice(i + 1));
        return;
      }
    }
    if (this.paused) {
      this.paused = false;
      this.socket?.resume();
    }
  }

  /** Writes what is staged and set aside; resolves when all of it is in the file. */
  async end(): Promise<void> {
    for (;;) {
      if (this.error) throw this.error;
      if (this.writing) {
        await this.writing;
        continue;
      }
      if (this.aside.length > 0) {
        this.drainAside();
        continue;
      }
      if (this.used > 0) {
        this.flush();
        continue;
      }
      return;
    }
  }
}
