import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type DuckDBDataChunk,
  type DuckDBResult,
  type DuckDBType,
  DuckDBTypeId,
  JsonDuckDBValueConverter,
} from '@duckdb/node-api';

/** One column of a Snowflake result as the driver reads `rowtype`. */
export interface RowType {
  name: string;
  database: string;
  schema: string;
  table: string;
  type: string;
  precision: number | null;
  scale: number | null;
  length: number | null;
  byteLength: number | null;
  nullable: boolean;
  collation: null;
}

/** A result chunk kept on disk and served from the emulator's own URL. */
export interface ChunkFile {
  path: string;
  rowCount: number;
  uncompressedSize: number;
}

/** A statement's result: the first rows inline, the rest in chunk files. */
export interface EncodedResult {
  rowtype: RowType[];
  rowset: Array<Array<string | null>>;
  chunks: ChunkFile[];
  total: number;
}

type Encoder = (value: unknown) => string | null;

export function column(name: string, type: string, extra: Partial<RowType> = {}): RowType {
  return {
    name,
    database: '',
    schema: '',
    table: '',
    type,
    precision: null,
    scale: null,
    length: null,
    byteLength: null,
    nullable: true,
    collation: null,
    ...extra,
  };
}

/** Seconds since the epoch as an exact decimal with nine fraction digits, from microseconds. */
export function microsToSeconds(micros: bigint): string {
  const negative = micros < 0n;
  const abs = negative ? -micros : micros;
  const seconds = abs / 1_000_000n;
  const fraction = abs % 1_000_000n;
  return `${negative ? '-' : ''}${seconds}.${fraction.toString().padStart(6, '0')}000`;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex').toUpperCase();
}

const jsonConverter = JsonDuckDBValueConverter;

/** The Snowflake rowtype and value encoder of a DuckDB result column. */
export function describeColumn(name: string, type: DuckDBType): { meta: RowType; encode: Encoder } {
  const alias = (type as { alias?: string }).alias;
  const id = type.typeId;
  if (alias === 'JSON')
    return { meta: column(name, 'variant', { length: 16777216, byteLength: 16777216 }), encode: (v) => v as string };
  switch (id) {
    case DuckDBTypeId.BOOLEAN:
      return { meta: column(name, 'boolean'), encode: (v) => (v ? '1' : '0') };
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.BIGNUM:
      return { meta: column(name, 'fixed', { precision: 38, scale: 0 }), encode: (v) => String(v) };
    case DuckDBTypeId.DECIMAL: {
      const decimal = type as unknown as { width: number; scale: number };
      return {
        meta: column(name, 'fixed', { precision: decimal.width, scale: decimal.scale }),
        encode: (v) => String(v),
      };
    }
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      return { meta: column(name, 'real'), encode: (v) => String(v) };
    case DuckDBTypeId.VARCHAR:
    case DuckDBTypeId.ENUM:
    case DuckDBTypeId.UUID:
    case DuckDBTypeId.INTERVAL:
    case DuckDBTypeId.BIT:
    case DuckDBTypeId.TIME_TZ:
      return {
        meta: column(name, 'text', { length: 16777216, byteLength: 16777216 }),
        encode: (v) => (typeof v === 'string' ? v : String(v)),
      };
    case DuckDBTypeId.BLOB:
      return {
        meta: column(name, 'binary', { length: 8388608, byteLength: 8388608 }),
        encode: (v) => hex((v as { bytes: Uint8Array }).bytes),
      };
    case DuckDBTypeId.DATE:
      return { meta: column(name, 'date'), encode: (v) => String((v as { days: number }).days) };
    case DuckDBTypeId.TIME:
      return {
        meta: column(name, 'time', { scale: 9, precision: 0 }),
        encode: (v) => microsToSeconds((v as { micros: bigint }).micros),
      };
    case DuckDBTypeId.TIMESTAMP:
      return {
        meta: column(name, 'timestamp_ntz', { scale: 9, precision: 0 }),
        encode: (v) => microsToSeconds((v as { micros: bigint }).micros),
      };
    case DuckDBTypeId.TIMESTAMP_TZ:
      return {
        meta: column(name, 'timestamp_ltz', { scale: 9, precision: 0 }),
        encode: (v) => microsToSeconds((v as { micros: bigint }).micros),
      };
    case DuckDBTypeId.TIMESTAMP_S:
      return {
        meta: column(name, 'timestamp_ntz', { scale: 9, precision: 0 }),
        encode: (v) => microsToSeconds((v as { seconds: bigint }).seconds * 1_000_000n),
      };
    case DuckDBTypeId.TIMESTAMP_MS:
      return {
        meta: column(name, 'timestamp_ntz', { scale: 9, precision: 0 }),
        encode: (v) => microsToSeconds((v as { millis: bigint }).millis * 1000n),
      };
    case DuckDBTypeId.TIMESTAMP_NS:
      return {
        meta: column(name, 'timestamp_ntz', { scale: 9, precision: 0 }),
        encode: (v) => microsToSeconds((v as { nanos: bigint }).nanos / 1000n),
      };
    case DuckDBTypeId.SQLNULL:
      return { meta: column(name, 'text', { length: 16777216, byteLength: 16777216 }), encode: () => null };
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return {
        meta: column(name, 'array', { length: 16777216, byteLength: 16777216 }),
        encode: (v) => JSON.stringify(jsonConverter(v as never, type, jsonConverter)),
      };
    default:
      return {
        meta: column(name, 'object', { length: 16777216, byteLength: 16777216 }),
        encode: (v) => JSON.stringify(jsonConverter(v as never, type, jsonConverter)),
      };
  }
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
        current = { path: join(options.chunkDir, `${chunks.length}.json`), rowCount: 0, uncompressedSize: 0 };
        chunks.push(current);
        writer = createWriteStream(current.path);
      }
      const text = (current.rowCount === 0 ? '' : ',') + JSON.stringify(row);
      pending.push(text);
      pendingBytes += text.length;
      current.rowCount++;
      current.uncompressedSize += Buffer.byteLength(text);
      if (pendingBytes > 1 << 20) await flushPending();
      if (current.rowCount >= options.chunkRows) await closeChunk();
    }
  }
  await closeChunk();
  return { rowtype, rowset, chunks, total };
}
