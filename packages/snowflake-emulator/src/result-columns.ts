// A DuckDB result column as Snowflake describes it to the driver (its `rowtype`) and the encoder of its values
// as the driver's text; `sqlEncoding` is the same rendering done by DuckDB itself in SQL (results.ts uses both).
import { type DuckDBType, DuckDBTypeId, JsonDuckDBValueConverter } from '@duckdb/node-api';

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

export type Encoder = (value: unknown) => string | null;

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

/** A TIME or TIMESTAMP value (microseconds) as the driver's seconds. */
const microsEncoder: Encoder = (v) => microsToSeconds((v as { micros: bigint }).micros);

/**
 * The Snowflake rowtype and value encoder of a DuckDB result column. One switch over DuckDB's type ids, kept
 * whole: each case sets a type's rowtype and its encoder side by side.
 */
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
        encode: microsEncoder,
      };
    case DuckDBTypeId.TIMESTAMP:
      return {
        meta: column(name, 'timestamp_ntz', { scale: 9, precision: 0 }),
        encode: microsEncoder,
      };
    case DuckDBTypeId.TIMESTAMP_TZ:
      return {
        meta: column(name, 'timestamp_ltz', { scale: 9, precision: 0 }),
        encode: microsEncoder,
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
