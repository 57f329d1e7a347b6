import type { ColumnSpec, ColumnType, SqlValue } from './warehouse.js';

/**
 * The parts of a Salesforce field describe the type map reads.
 *
 * @example
 * ```ts
 * const field: DescribedField = { name: 'AnnualRevenue', type: 'currency', precision: 18, scale: 0 };
 * ```
 */
export interface DescribedField {
  name: string;
  type: string;
  length?: number;
  precision?: number;
  scale?: number;
  digits?: number;
  compoundFieldName?: string | null;
  calculated?: boolean;
}

/**
 * Per-field type overrides (LHT's `register_custom_mappings`): a logical type or a raw SQL type, by field
 * API name (matched without regard to case).
 *
 * @example
 * ```ts
 * const overrides: TypeOverrides = { Description: { kind: 'sql', sql: 'TEXT' }, NumberOfEmployees: { kind: 'double' } };
 * ```
 */
export type TypeOverrides = Record<string, ColumnType>;

/**
 * Options of {@link columnsFromDescribe}.
 *
 * @example
 * ```ts
 * columnsFromDescribe(describe.fields, { fields: ['Id', 'Name'], overrides: {}, includeBase64: false } satisfies ColumnMapOptions);
 * ```
 */
export interface ColumnMapOptions {
  /** Only these fields (matched without regard to case); Id and the cursor fields are always added. */
  fields?: readonly string[] | undefined;
  overrides?: TypeOverrides | undefined;
  /** Keep base64 fields (as text). Default false: Bulk queries cannot read them. */
  includeBase64?: boolean | undefined;
}

const TEXT_TYPES = new Set([
  'string',
  'textarea',
  'picklist',
  'multipicklist',
  'combobox',
  'email',
  'phone',
  'url',
  'encryptedstring',
  'anytype',
  'complexvalue',
  'json',
]);

/**
 * Fields every synced table keeps even when `fields` narrows the selection.
 *
 * @example
 * ```ts
 * SYSTEM_FIELDS.includes('SystemModstamp'); // true
 * ```
 */
export const SYSTEM_FIELDS = ['Id', 'IsDeleted', 'SystemModstamp', 'LastModifiedDate', 'CreatedDate'] as const;

/**
 * The logical column type of one Salesforce field, or `undefined` for fields left out (compound address /
 * location fields, whose components are columns of their own; base64 unless asked for).
 *
 * @example
 * ```ts
 * columnTypeOf({ name: 'Amount', type: 'currency', precision: 18, scale: 2 }); // { kind: 'decimal', precision: 18, scale: 2 }
 * ```
 */
export function columnTypeOf(field: DescribedField, includeBase64 = false): ColumnType | undefined {
  const type = field.type.toLowerCase();
  switch (type) {
    case 'id':
    case 'reference':
      return { kind: 'id' };
    case 'boolean':
      return { kind: 'boolean' };
    case 'int':
    case 'long':
      return { kind: 'integer' };
    case 'double':
    case 'currency':
    case 'percent': {
      const precision = field.precision ?? 0;
      const scale = field.scale ?? 0;
      if (precision <= 0 || precision > 38) return { kind: 'double' };
      return { kind: 'decimal', precision, scale: Math.min(scale, precision) };
    }
    case 'date':
      return { kind: 'date' };
    case 'datetime':
      return { kind: 'timestamp' };
    case 'time':
      return { kind: 'time' };
    case 'address':
    case 'location':
      return undefined;
    case 'base64':
      return includeBase64 ? { kind: 'text' } : undefined;
    default:
      if (TEXT_TYPES.has(type) || field.length !== undefined) {
        return field.length ? { kind: 'text', length: field.length } : { kind: 'text' };
      }
      return { kind: 'text' };
  }
}

/**
 * The columns of a table mirroring an object's describe: one per field in describe order, Salesforce API
 * names kept exactly (identifiers are always quoted, so case never changes between runs).
 *
 * @example
 * ```ts
 * const columns = columnsFromDescribe(describe.fields, { fields: ['Name', 'AnnualRevenue'] });
 * // [{ name: 'Id', ... }, { name: 'IsDeleted', ... }, { name: 'Name', ... }, { name: 'AnnualRevenue', ... }, ...]
 * ```
 */
export function columnsFromDescribe(fields: readonly DescribedField[], options: ColumnMapOptions = {}): ColumnSpec[] {
  const wanted = options.fields ? new Set(options.fields.map((f) => f.toLowerCase())) : undefined;
  if (wanted) for (const system of SYSTEM_FIELDS) wanted.add(system.toLowerCase());
  const overrides = new Map(Object.entries(options.overrides ?? {}).map(([name, type]) => [name.toLowerCase(), type]));
  const columns: ColumnSpec[] = [];
  for (const field of fields) {
    const lower = field.name.toLowerCase();
    if (wanted && !wanted.has(lower)) continue;
    const override = overrides.get(lower);
    const type = override ?? columnTypeOf(field, options.includeBase64 === true);
    if (type) columns.push({ name: field.name, type });
  }
  return columns;
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/**
 * A Salesforce value (as REST JSON or Bulk CSV gives it) in the form a load takes for its column type:
 * datetimes `YYYY-MM-DD HH:MM:SS.sss` UTC (REST's `+0000` and Bulk's `Z` alike, milliseconds kept),
 * times without their `Z`, empty strings `null`.
 *
 * @example
 * ```ts
 * toSqlValue('2024-01-01T10:00:00.000+0000', { kind: 'timestamp' }); // '2024-01-01 10:00:00.000'
 * ```
 */
export function toSqlValue(value: unknown, type: ColumnType): SqlValue {
  if (value === null || value === undefined || value === '') return null;
  switch (type.kind) {
    case 'timestamp': {
      const text = String(value);
      if (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|\+0000|\+00:00)$/.test(text)) {
        return `${text.slice(0, 10)} ${text.slice(11, 23)}`;
      }
      const date = new Date(text);
      if (Number.isNaN(date.getTime())) return text;
      return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.${pad(date.getUTCMilliseconds(), 3)}`;
    }
    case 'time':
      return String(value).replace(/Z$/, '');
    case 'boolean':
      return typeof value === 'boolean' ? value : String(value).toLowerCase() === 'true';
    case 'integer':
    case 'decimal':
    case 'double':
      return typeof value === 'number' ? value : String(value);
    default:
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
}
