// A statement's result written for the driver: the first rows inline, the rest in chunk files served by byte
// range (writeResult: DuckDB writes the JSON rows itself; encodeResult: rows encoded here, chunk by chunk).
import { createWriteStream } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DuckDBDataChunk, DuckDBResult, DuckDBType } from '@duckdb/node-api';
import { describeColumn, type Encoder, type RowType, sqlEncoding } from './result-columns.js';

/** A result chunk kept on disk (a byte range of a file) and served from the emulator's own URL. */
export interface ChunkFile {
  path: string;
  rowCount: number;
  uncompressedSize: number;
  /** Byte range in `path`: `start` inclusive, `end` exclusive. */
  start: number;
  end: number;
}

/** A statement's result: the first rows inline, the rest in chunk files. */
export interface EncodedResult {
  rowtype: RowType[];
  rowset: Array<Array<string | null>>;
  chunks: ChunkFile[];
  total: number;
}

/** Options of {@link writeResult}. */
export interface WriteOptions {
  inlineRows: number;
  chunkRows: number;
  /** The file DuckDB writes the rows to. */
  file: string;
  names: string[];
  types: DuckDBType[];
}

/**
 * Has DuckDB write a query's rows as the driver's JSON rows (one `,[...]` line a row) into one file with
 * COPY, then splits that file into chunks by line: the first rows inline, the rest served as byte ranges.
 * No row passes through JavaScript values, and memory stays flat however large the result.
 */
export async function writeResult(
  connection: { run(sql: string): Promise<unknown> },
  sql: string,
  options: WriteOptions,
): Promise<EncodedResult> {
  const rowtype = options.types.map((type, index) => describeColumn(options.names[index] ?? `C${index}`, type).meta);
  if (options.types.length === 0) return { rowtype, rowset: [], chunks: [], total: 0 };
  const inner = options.types.map((_, k) => `__C${k}`);
  const encoded = options.types.map((type, k) => sqlEncoding(inner[k] as string, type));
  await mkdir(dirname(options.file), { recursive: true });
  // One column and no quote character: DuckDB's CSV writer writes each JSON line as it is (it would quote
  // values holding '#' and other characters if a quote character were set).
  await connection.run(
    `COPY (SELECT ',' || CAST(to_json(list_value(${encoded.join(', ')})) AS VARCHAR) FROM (${sql}) AS __Q(${inner.join(', ')})) TO '${options.file.replaceAll("'", "''")}' (FORMAT csv, HEADER false, DELIMITER '\x02', QUOTE '', ESCAPE '')`,
  );
  const rowset: Array<Array<string | null>> = [];
  const chunks: ChunkFile[] = [];
  let total = 0;
  let offset = 0;
  let current: ChunkFile | undefined;
  let carry = Buffer.alloc(0);
  const handle = await open(options.file, 'r');
  try {
    const block = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const { bytesRead } = await handle.read(block, 0, block.length, null);
      if (bytesRead === 0) break;
      const data =
        carry.length > 0 ? Buffer.concat([carry, block.subarray(0, bytesRead)]) : block.subarray(0, bytesRead);
      const base = offset - carry.length;
      let lineStart = 0;
      for (;;) {
        const newline = data.indexOf(10, lineStart);
        if (newline < 0) break;
        total++;
        if (total <= options.inlineRows) {
          rowset.push(JSON.parse(data.toString('utf8', lineStart + 1, newline)) as Array<string | null>);
        } else {
          if (!current || current.rowCount >= options.chunkRows) {
            current = { path: options.file, rowCount: 0, uncompressedSize: 0, start: base + lineStart + 1, end: 0 };
            chunks.push(current);
          }
          current.rowCount++;
          current.end = base + newline;
          current.uncompressedSize = current.end - current.start;
        }
        lineStart = newline + 1;
      }
      carry = Buffer.from(data.subarray(lineStart));
      offset += bytesRead;
    }
  } finally {
    await handle.close();
  }
  if (chunks.length === 0) await rm(options.file, { force: true });
  return { rowtype, rowset, chunks, total };
}

/** Options of {@link encodeResult}. */
export interface EncodeOptions {
  /** Rows kept inline in the first reply; the rest go to chunk files. */
  inlineRows: number;
  /** Rows per chunk file. */
  chunkRows: number;
  /** Folder for this result's chunk files (created on first use). */
  chunkDir: string;
  /** Renames result columns (Snowflake's names for unaliased expressions). */
  names?: string[];
  /** The result's real column types when the result itself holds pre-rendered text (see {@link sqlEncoding}). */
  types?: DuckDBType[];
  /** Per column: the value is already the driver's text. */
  preEncoded?: boolean[];
}

function rowsOf(chunk: DuckDBDataChunk, encoders: Encoder[]): Array<Array<string | null>> {
  const rowCount = chunk.rowCount;
  const columns = encoders.map((encode, c) => {
    const values = chunk.getColumnValues(c);
    const out = new Array<string | null>(rowCount);
    for (let r = 0; r < rowCount; r++) {
      const value = values[r];
      out[r] = value === null || value === undefined ? null : encode(value);
    }
    return out;
  });
  const rows = new Array<Array<string | null>>(rowCount);
  for (let r = 0; r < rowCount; r++) {
    const row = new Array<string | null>(encoders.length);
    for (let c = 0; c < encoders.length; c++) row[c] = (columns[c] as Array<string | null>)[r] as string | null;
    rows[r] = row;
  }
  return rows;
}

/**
 * Reads a DuckDB result chunk by chunk and encodes it as Snowflake does: the first rows inline, the
 * rest as JSON chunk files (rows separated by commas, no enclosing brackets, which the driver adds).
 * Only one DuckDB chunk and one file write are in memory at a time.
 */
export async function encodeResult(result: DuckDBResult, options: EncodeOptions): Promise<EncodedResult> {
  const names = result.columnNames();
  const types = result.columnTypes();
  const described = types.map((type, index) =>
    describeColumn(options.names?.[index] ?? (names[index] as string), type),
  );
  const rowtype = described.map((d) => d.meta);
  const encoders = described.map((d) => d.encode);
  const rowset: Array<Array<string | null>> = [];
  const chunks: ChunkFile[] = [];
  let total = 0;
  let writer: ReturnType<typeof createWriteStream> | undefined;
  let current: ChunkFile | undefined;
  let pending: string[] = [];
  let pendingBytes = 0;
  const flushPending = async () => {
    if (!writer || pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    pendingBytes = 0;
    if (!writer.write(text)) await new Promise<void>((resolve) => writer?.once('drain', () => resolve()));
  };
  const closeChunk = async () => {
    await flushPending();
    if (writer) {
      const w = writer;
      await new Promise<void>((resolve, reject) =>
        w.end((error?: Error | null) => (error ? reject(error) : resolve())),
      );
    }
    writer = undefined;
    current = undefined;
  };
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const rows = rowsOf(chunk, encoders);
    for (const row of rows) {
      total++;
      if (total <= options.inlineRows && chunks.length === 0) {
        rowset.push(row);
        continue;
      }
      if (!current) {
        if (chunks.length === 0) await mkdir(options.chunkDir, { recursive: true });
        current = {
          path: join(options.chunkDir, `${chunks.length}.json`),
          rowCount: 0,
          uncompressedSize: 0,
          start: 0,
          end: 0,
        };
        chunks.push(current);
        writer = createWriteStream(current.path);
      }
      const text = (current.rowCount === 0 ? '' : ',') + JSON.stringify(row);
      pending.push(text);
      pendingBytes += text.length;
      current.rowCount++;
      current.uncompressedSize += Buffer.byteLength(text);
      current.end = current.uncompressedSize;
      if (pendingBytes > 1 << 20) await flushPending();
      if (current.rowCount >= options.chunkRows) await closeChunk();
    }
  }
  await closeChunk();
  return { rowtype, rowset, chunks, total };
}
