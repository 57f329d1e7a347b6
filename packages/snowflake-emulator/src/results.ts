import { createWriteStream } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
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

/** DuckDB's integer types: each a NUMBER(38,0) to the driver, written as its decimal text. */
const INTEGER_TYPES: ReadonlySet<DuckDBTypeId> = new Set([
  DuckDBTypeId.TINYINT,
  DuckDBTypeId.SMALLINT,
  DuckDBTypeId.INTEGER,
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.UTINYINT,
  DuckDBTypeId.USMALLINT,
  DuckDBTypeId.UINTEGER,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UHUGEINT,
]);

/** The Snowflake rowtype and value encoder of a DuckDB result column. */
export function describeColumn(name: string, type: DuckDBType): { meta: RowType; encode: Encoder } {
  const alias = (type as { alias?: string }).alias;
  const id = type.typeId;
  if (alias === 'JSON')
    return { meta: column(name, 'variant', { length: 16777216, byteLength: 16777216 }), encode: (v) => v as string };
  if (isTimestampTz(type))
    return {
      meta: column(name, 'timestamp_tz', { scale: 9, precision: 0 }),
      encode: (v) => {
        const entries = (v as { entries: { sf_instant: { micros: bigint }; sf_offset: number } }).entries;
        return `${microsToSeconds(entries.sf_instant.micros)} ${1440 + Number(entries.sf_offset)}`;
      },
    };
  if (INTEGER_TYPES.has(id) || id === DuckDBTypeId.BIGNUM)
    return { meta: column(name, 'fixed', { precision: 38, scale: 0 }), encode: (v) => String(v) };
  switch (id) {
    case DuckDBTypeId.BOOLEAN:
      return { meta: column(name, 'boolean'), encode: (v) => (v ? '1' : '0') };
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

/** Whether a DuckDB type is the emulator's TIMESTAMP_TZ struct (instant and offset, see sql/timestamp-tz.ts). */
export function isTimestampTz(type: DuckDBType): boolean {
  if (type.typeId !== DuckDBTypeId.STRUCT) return false;
  const struct = type as unknown as { entryNames: string[]; entryTypes: DuckDBType[] };
  return (
    struct.entryNames.join(',') === 'sf_instant,sf_offset' &&
    struct.entryTypes[0]?.typeId === DuckDBTypeId.TIMESTAMP_TZ &&
    struct.entryTypes[1]?.typeId === DuckDBTypeId.SMALLINT
  );
}

/**
 * The DuckDB expression that renders column `name` (of `type`) as the text the driver decodes, or
 * undefined when JavaScript encodes it (rare types). Rendering in DuckDB is vectorized and keeps
 * DuckDB value objects off the JavaScript heap.
 */
export function sqlEncoding(name: string, type: DuckDBType): string {
  const alias = (type as { alias?: string }).alias;
  if (alias === 'JSON') return `CAST(${name} AS VARCHAR)`;
  const micros = (value: string) =>
    `CASE WHEN ${value} < 0 THEN '-' ELSE '' END || CAST(abs(${value}) // 1000000 AS VARCHAR) || '.' || lpad(CAST(abs(${value}) % 1000000 AS VARCHAR), 6, '0') || '000'`;
  if (isTimestampTz(type)) {
    // "<epoch seconds with fraction> <offset minutes + 1440>", the driver's TIMESTAMP_TZ encoding.
    const instant = `struct_extract(${name}, 'sf_instant')`;
    return `CASE WHEN isfinite(${instant}) THEN ${micros(`epoch_us(${instant})`)} || ' ' || CAST(1440 + struct_extract(${name}, 'sf_offset') AS VARCHAR) END`;
  }
  if (INTEGER_TYPES.has(type.typeId)) return `CAST(${name} AS VARCHAR)`;
  switch (type.typeId) {
    case DuckDBTypeId.VARCHAR:
      return name;
    case DuckDBTypeId.BOOLEAN:
      return `CASE WHEN ${name} THEN '1' WHEN NOT ${name} THEN '0' END`;
    case DuckDBTypeId.DECIMAL:
      return `CAST(${name} AS VARCHAR)`;
    case DuckDBTypeId.DATE:
      return `CASE WHEN isfinite(${name}) THEN CAST(${name} - DATE '1970-01-01' AS VARCHAR) END`;
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ:
      return `CASE WHEN isfinite(${name}) THEN ${micros(`epoch_us(${name})`)} END`;
    case DuckDBTypeId.BLOB:
      return `upper(hex(${name}))`;
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      return `CASE WHEN isnan(${name}) THEN 'NaN' WHEN isinf(${name}) THEN CASE WHEN ${name} > 0 THEN 'Infinity' ELSE '-Infinity' END ELSE CAST(${name} AS VARCHAR) END`;
    case DuckDBTypeId.TIME:
      return micros(`(CAST(hour(${name}) AS BIGINT) * 3600 + minute(${name}) * 60) * 1000000 + microsecond(${name})`);
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
      return `CASE WHEN isfinite(${name}) THEN ${micros(`epoch_us(CAST(${name} AS TIMESTAMP))`)} END`;
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
    case DuckDBTypeId.STRUCT:
    case DuckDBTypeId.MAP:
    case DuckDBTypeId.UNION:
      return `CAST(to_json(${name}) AS VARCHAR)`;
    case DuckDBTypeId.SQLNULL:
      return `CAST(NULL AS VARCHAR)`;
    default:
      return `CAST(${name} AS VARCHAR)`;
  }
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
