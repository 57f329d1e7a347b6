import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { readCsvRows } from './csv-reader.js';
import { rowHash } from './hash.js';
import { RowIndex } from './row-index.js';

/** One value as it goes into a Bulk API CSV cell: `null` -> `#N/A` (set null), undefined/'' -> empty (leave unchanged). */
export function cellOf(value: unknown): string {
  if (value === null) return '#N/A';
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value);
}

const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;

/** Quotes one CSV cell per RFC 4180 when it needs it. */
export function quoteCell(cell: string): string {
  if (cell.length === 0 || !NEEDS_QUOTES.test(cell)) return cell;
  return `"${cell.replace(/"/g, '""')}"`;
}

/** A CSV line (with LF) from cells. */
export function csvLine(cells: readonly string[]): string {
  let line = '';
  for (let i = 0; i < cells.length; i++) {
    if (i > 0) line += ',';
    line += quoteCell(cells[i] as string);
  }
  return `${line}\n`;
}

/** Bytes of the body of a finished part: in memory, or spooled to a temporary file. */
export interface PartBody {
  bytes: number;
  /** A fresh stream of the body (call again to retry an upload). */
  open(): Readable | Buffer;
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
}

/**
 * Accumulates the CSV of one job: header, one line per row, the reconciliation index. The body is
 * kept in memory while small and streamed to a temporary file beyond `spoolThresholdBytes`, so
 * memory stays flat whatever the job size and an upload can be retried from the start.
 */
export class PartBuilder {
  readonly index = new RowIndex();
  readonly header: string;
  private chunks: string[] = [];
  private chunkBytes = 0;
  private total = 0;
  private file: FileHandle | undefined;
  private filePath: string | undefined;
  private readonly options: PartBuilderOptions;
  /** Lower-cased external id values in this part (upsert duplicate guard). */
  readonly externalIds = new Set<string>();

  constructor(options: PartBuilderOptions) {
    this.options = options;
    this.header = csvLine(options.fields);
    this.chunks.push(this.header);
    this.chunkBytes = Buffer.byteLength(this.header);
    this.total = this.chunkBytes;
  }

  get rows(): number {
    return this.index.size;
  }

  get bytes(): number {
    return this.total;
  }

  /** Bytes a line would add. */
  static lineBytes(line: string): number {
    return Buffer.byteLength(line);
  }

  /** Adds a row (its cells in field order, and its line). */
  async add(cells: readonly string[], line: string, lineBytes: number, row: number, attempts: number): Promise<void> {
    this.index.add(rowHash(cells), row, attempts);
    this.chunks.push(line);
    this.chunkBytes += lineBytes;
    this.total += lineBytes;
    if (this.file ? this.chunkBytes >= 1 << 20 : this.total >= this.options.spoolThresholdBytes) {
      await this.flushToFile();
    }
  }

  private async flushToFile(): Promise<void> {
    if (!this.file) {
      this.filePath = join(this.options.spoolDirectory ?? tmpdir(), `kicksaw-sf-bulk-${randomUUID()}.csv`);
      this.file = await open(this.filePath, 'w');
    }
    if (this.chunks.length > 0) {
      await this.file.write(this.chunks.join(''));
      this.chunks = [];
      this.chunkBytes = 0;
    }
  }

  /** Completes the part: seals the index and returns the body. */
  async finish(): Promise<PartBody> {
    this.index.seal();
    const fields = this.options.fields;
    if (this.file) {
      await this.flushToFile();
      await this.file.close();
      const path = this.filePath as string;
      const bytes = this.total;
      return {
        bytes,
        open: () => createReadStream(path, { highWaterMark: 1 << 20 }),
        dispose: () => rm(path, { force: true }),
        readPositions: (positions) => readPositions(createReadStream(path), fields.length, positions),
      };
    }
    const buffer = Buffer.from(this.chunks.join(''));
    this.chunks = [];
    return {
      bytes: buffer.length,
      open: () => buffer,
      dispose: async () => {},
      readPositions: async (positions) => {
        const { Readable } = await import('node:stream');
        return readPositions(Readable.from([buffer]), fields.length, positions);
      },
    };
  }

  /** Drops the part without using it. */
  async discard(): Promise<void> {
    if (this.file) {
      await this.file.close().catch(() => {});
      await rm(this.filePath as string, { force: true });
    }
    this.chunks = [];
  }
}

async function readPositions(stream: Readable, width: number, positions: Set<number>): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  if (positions.size === 0) {
    stream.destroy();
    return out;
  }
  const parser = readCsvRows(stream);
  let position = -1;
  for await (const cells of parser) {
    if (position >= 0 && positions.has(position)) {
      out.set(position, cells.length === width ? cells : cells.slice(0, width));
      if (out.size === positions.size) {
        stream.destroy();
        break;
      }
    }
    position++;
  }
  return out;
}
