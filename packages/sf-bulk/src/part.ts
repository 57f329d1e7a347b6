import { randomUUID } from 'node:crypto';
import { type FileHandle, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { cellText, RowEncoder } from '@kicksaw/csv';
import { chunkPool, piecePool } from './buffer-pool.js';
import { readCsvRows } from './csv-reader.js';
import { readFileChunks, writeAll } from './file-io.js';
import { rowHash } from './hash.js';
import { giveKeySet, type KeySet, takeKeySet } from './key-set.js';
import { writeRow, writtenHash } from './line-writer.js';
import { RowIndex } from './row-index.js';

/**
 * How sf-bulk writes a Bulk API 2.0 upload (`@kicksaw/csv`'s {@link RowEncoder}): comma, LF, `null` as `#N/A`
 * (Bulk API: set the field to null; `undefined` and `''` stay empty: leave it as it is), and values with white
 * space at either end quoted as well, since the Bulk API trims unquoted values.
 */
const UPLOAD = new RowEncoder({ nullAs: '#N/A', quote: 'edge-spaces' });

/** One value as it goes into a Bulk API CSV cell: `null` -> `#N/A` (set null), undefined/'' -> empty (leave unchanged). */
export function cellOf(value: unknown): string {
  return cellText(value, '#N/A');
}

/** Quotes one CSV cell when it needs it (a quote, comma or line break; white space at an end). */
export function quoteCell(cell: string): string {
  return UPLOAD.quoted(cell);
}

/** A CSV line (with LF) from cells. */
export function csvLine(cells: readonly string[]): string {
  return UPLOAD.encode(cells);
}

/** Bytes of the body of a finished part: in memory, or spooled to a temporary file. */
export interface PartBody {
  bytes: number;
  /**
   * Writes the body from its start through `write` (call again to retry an upload). A spooled body
   * is read through one reused buffer: `write` must be done with a piece when its promise resolves.
   */
  writeTo(write: (piece: Uint8Array) => Promise<void>): Promise<void>;
  /** Removes the spool file, if any. */
  dispose(): Promise<void>;
  /** Reads the sent cells of some positions back from the body (for rows no result mentions). */
  readPositions(positions: Set<number>): Promise<Map<number, string[]>>;
}

/** Options of a {@link PartBuilder}. */
export interface PartBuilderOptions {
  /** Column names (API names) in order. */
  fields: readonly string[];
  /** Keep the body in memory up to this size, then spool to a file. */
  spoolThresholdBytes: number;
  spoolDirectory?: string;
  /** The job's row cap, if any: the index grows up to it and no further (no trimming copy for a full job). */
  maxRows?: number;
}

/**
 * Accumulates the CSV of one job: header, one line per row, the reconciliation index. The body is
 * kept in memory while small and streamed to a temporary file beyond `spoolThresholdBytes`, so
 * memory stays flat whatever the job size and an upload can be retried from the start.
 */
export class PartBuilder {
  readonly index: RowIndex;
  readonly header: string;
  /** Lines are encoded straight into this pooled chunk (strings die young; nothing piles up in the heap). */
  private buffer: Buffer | undefined = chunkPool.take();
  private used = 0;
  /** The hash of the row {@link PartBuilder.stage} wrote last. */
  private stagedHash = 0;
  /** Filled chunks kept in memory while the part is below the spool threshold (pooled, not copied). */
  private memory: Piece[] = [];
  private total = 0;
  private file: FileHandle | undefined;
  private filePath: string | undefined;
  private readonly options: PartBuilderOptions;
  private keys: KeySet | undefined;

  /**
   * Lower-cased external id values in this part (upsert duplicate guard), taken on first use. Only
   * needed while rows are added: {@link PartBuilder.finish} gives it back for the next part, since
   * the part itself lives on until its job's results are read.
   */
  get externalIds(): KeySet {
    this.keys ??= takeKeySet();
    return this.keys;
  }

  private releaseKeys(): void {
    if (this.keys) giveKeySet(this.keys);
    this.keys = undefined;
  }

  constructor(options: PartBuilderOptions) {
    this.options = options;
    const maxRows = options.maxRows ?? Number.POSITIVE_INFINITY;
    // Sized for the job's row cap at once (up to 262,144 rows, 3.4 MB): no trail of outgrown arrays, which
    // the allocator keeps as resident memory, for the jobs of a default run (10,000 rows, doubling to 98,304).
    this.index = new RowIndex(Math.min(1 << 18, maxRows), maxRows);
    this.header = csvLine(options.fields);
    const bytes = Buffer.byteLength(this.header);
    if (bytes > CHUNK_BYTES) this.memory.push(whole(Buffer.from(this.header)));
    else this.used = (this.buffer as Buffer).write(this.header, 0);
    this.total = bytes;
  }

  get rows(): number {
    return this.index.size;
  }

  get bytes(): number {
    return this.total;
  }

  /**
   * Writes a row's line at the end of the open chunk without taking the row in (see {@link PartBuilder.commit}):
   * returns its bytes, or -1 when it may not fit the chunk (then add it with {@link PartBuilder.add}).
   */
  stage(cells: readonly string[]): number {
    const buffer = this.buffer;
    if (!buffer) return -1;
    const bytes = writeRow(cells, buffer, this.used, buffer.length);
    this.stagedHash = writtenHash;
    return bytes;
  }

  /** Takes in the row {@link PartBuilder.stage} wrote last (`bytes` as it returned), with its row and attempts. */
  commit(bytes: number, row: number, attempts: number): void {
    this.index.add(this.stagedHash, row, attempts);
    this.used += bytes;
    this.total += bytes;
  }

  /**
   * Adds a row (its cells in field order, and its line). Returns a promise only when the chunk is
   * full and has to be kept or spooled first; otherwise the line is encoded at once.
   */
  add(
    cells: readonly string[],
    line: string,
    lineBytes: number,
    row: number,
    attempts: number,
  ): Promise<void> | undefined {
    this.index.add(rowHash(cells), row, attempts);
    this.total += lineBytes;
    if (lineBytes > CHUNK_BYTES - this.used) return this.addAfterFlush(line, lineBytes);
    this.used += (this.buffer as Buffer).write(line, this.used);
    return undefined;
  }

  private async addAfterFlush(line: string, lineBytes: number): Promise<void> {
    await this.flushChunk(true);
    if (lineBytes > CHUNK_BYTES) await this.store(Buffer.from(line));
    else this.used += (this.buffer as Buffer).write(line, this.used);
  }

  /** Moves the filled part of the chunk to the spool file, or keeps the chunk in memory (and takes another). */
  private async flushChunk(more: boolean): Promise<void> {
    const buffer = this.buffer;
    if (!buffer || this.used === 0) return;
    if (this.file) {
      await writeAll(this.file, buffer, this.used);
    } else {
      this.memory.push({ buffer, used: this.used, pooled: true });
      this.buffer = more ? chunkPool.take() : undefined;
    }
    this.used = 0;
    if (!this.file && this.total >= this.options.spoolThresholdBytes) await this.spool();
  }

  private async store(piece: Buffer): Promise<void> {
    if (this.file) await writeAll(this.file, piece, piece.length);
    else this.memory.push(whole(piece));
  }

  private async spool(): Promise<void> {
    this.filePath = join(this.options.spoolDirectory ?? tmpdir(), `kicksaw-sf-bulk-${randomUUID()}.csv`);
    this.file = await open(this.filePath, 'w');
    for (const piece of this.memory) await writeAll(this.file, piece.buffer, piece.used);
    releasePieces(this.memory);
    this.memory = [];
  }

  /** Completes the part: seals the index and returns the body. */
  async finish(): Promise<PartBody> {
    this.releaseKeys();
    this.index.seal();
    const fields = this.options.fields;
    await this.flushChunk(false);
    chunkPool.give(this.buffer);
    this.buffer = undefined;
    if (this.file) {
      await this.file.close();
      const path = this.filePath as string;
      const bytes = this.total;
      return {
        bytes,
        writeTo: (write) => writeFileThrough(path, write),
        dispose: () => rm(path, { force: true }),
        readPositions: (positions) => readPositions(readFileChunks(path), fields.length, positions),
      };
    }
    let pieces: Piece[] | undefined = this.memory;
    this.memory = [];
    const views = () => (pieces ?? []).map((piece) => piece.buffer.subarray(0, piece.used));
    return {
      bytes: this.total,
      writeTo: async (write) => {
        for (const view of views()) await write(view);
      },
      dispose: async () => {
        if (pieces) releasePieces(pieces);
        pieces = undefined;
      },
      readPositions: (positions) => readPositions(Readable.from(views()), fields.length, positions),
    };
  }

  /** Drops the part without using it. */
  async discard(): Promise<void> {
    this.releaseKeys();
    if (this.file) {
      await this.file.close().catch(() => {});
      await rm(this.filePath as string, { force: true });
    }
    releasePieces(this.memory);
    this.memory = [];
    chunkPool.give(this.buffer);
    this.buffer = undefined;
  }
}

/** A filled buffer of a part kept in memory; `pooled` ones go back to the chunk pool. */
interface Piece {
  buffer: Buffer;
  used: number;
  pooled: boolean;
}

const whole = (buffer: Buffer): Piece => ({ buffer, used: buffer.length, pooled: false });

function releasePieces(pieces: readonly Piece[]): void {
  for (const piece of pieces) if (piece.pooled) chunkPool.give(piece.buffer);
}

const CHUNK_BYTES = chunkPool.size;

async function readPositions(
  stream: AsyncIterable<Uint8Array | string>,
  width: number,
  positions: Set<number>,
): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  if (positions.size === 0) return out;
  let position = -1;
  // Breaking out of the loop closes the source (file handle or stream).
  for await (const cells of readCsvRows(stream)) {
    if (position >= 0 && positions.has(position)) {
      out.set(position, cells.length === width ? cells : cells.slice(0, width));
      if (out.size === positions.size) break;
    }
    position++;
  }
  return out;
}

/** Writes a file through `write` a piece at a time, reading each into the same pooled buffer. */
async function writeFileThrough(path: string, write: (piece: Uint8Array) => Promise<void>): Promise<void> {
  // Each write is awaited before the next read, so the buffer is free when it is read into again.
  for await (const piece of readFileChunks(path, piecePool)) await write(piece);
}
