/**
 * Free lists of same-sized buffers, reused by the engine's I/O: the CSV chunks of job bodies and the
 * pieces read from spooled part files and other files (the HTTP transport copies what it sends and
 * reads the socket through undici; see transport.ts). A long run allocates its buffers once
 * instead of once per job or per download: freshly allocated buffers outside the JS heap are freed
 * only by a garbage collection, which the JS heap's own allocation does not hurry, and their churn
 * fragments the allocator's heap, so the resident memory of a run would grow with the number of jobs.
 *
 * A buffer must be given back only when nothing refers to it any more (a write completed, a read
 * consumed). The pool keeps at most `keep` buffers; more are left to the garbage collector.
 */
export class BufferPool {
  private readonly free: Buffer[] = [];

  constructor(
    readonly size: number,
    private readonly keep: number,
  ) {}

  /** A buffer of `size` bytes (contents undefined). */
  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  /** Returns a buffer taken from this pool (or any buffer of `size` bytes). */
  give(buffer: Buffer | undefined): void {
    if (!buffer || buffer.length !== this.size || this.free.length >= this.keep) return;
    if (this.free.includes(buffer)) throw new Error('BufferPool: a buffer was given back twice');
    this.free.push(buffer);
  }

  /** Buffers held for reuse (for tests). */
  get held(): number {
    return this.free.length;
  }
}

/**
 * 1 MiB: the chunks a job's CSV is encoded into. Up to 2 kept (2 MiB): with jobs spooled to disk (every job over
 * the default `spoolThresholdBytes`, 1 MiB) a job being built fills one chunk at a time, and the next job's builder
 * takes one. Parts kept in memory (jobs under the threshold) take more while they last; keeping them all (6 were kept until 2026-12-06, 16 before that) held 4 MiB of idle chunks for the
 * rest of a run, a third of the resident buffers a default ingest otherwise holds.
 */
export const chunkPool = new BufferPool(1 << 20, 2);
/** 256 KiB: pieces of a spooled part file read for its upload, one per upload in flight. Up to 4 kept (1 MiB). */
export const piecePool = new BufferPool(256 * 1024, 4);
/** 64 KiB: file reads. Up to 16 kept (1 MiB). */
export const readPool = new BufferPool(64 * 1024, 16);
