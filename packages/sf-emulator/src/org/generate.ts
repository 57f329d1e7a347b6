/**
 * Value makers of `org.generate()`: deterministic values by field type and record number, so that a benchmark
 * starts from a populated org in seconds. Hand-written rather than a fake-data library: the values must fit the
 * field's type, length, precision and picklist exactly and cost next to nothing per record (no library does both).
 * `valueMaker` is longer than a screen on purpose: one `case` a field type, a line or two each.
 */
import { OrgError } from '../contract.js';
import type { CompiledField } from '../schema/compile.js';
import { formatDateTime } from './values.js';

/**
 * How `org.generate()` fills one field: a constant, or a function of the record's number (0-based within the call)
 * returning the value (validated like a seed value: by type only).
 */
export type GeneratedValue = string | number | boolean | null | ((index: number) => unknown);

/**
 * What `org.generate()` writes.
 *
 * @example
 * const spec: GenerateSpec = {
 *   fields: ['Phone', 'Industry', 'AnnualRevenue'],      // values made from each field's type
 *   values: { Rating: 'Hot', Name: (i) => `Company ${i}` }, // or given
 *   spread: { from: '2024-01-01T00:00:00Z', to: '2024-02-01T00:00:00Z' },
 * };
 */
export interface GenerateSpec {
  /**
   * Fields given values made from their type (text `<Field> <n>` cut to the length, unique external ids, numbers
   * within precision, picklist values in turn, dates, references to existing parents in turn). The name field
   * and required fields are always filled. Default: those alone.
   */
  fields?: string[];
  /** Fields with given values (constants or functions of the record's number); they win over `fields`. */
  values?: Record<string, GeneratedValue>;
  /**
   * Spreads CreatedDate, LastModifiedDate and SystemModstamp evenly over [from, to) in record order (default: all
   * at the org clock's now), so an incremental sync has a range of timestamps to walk.
   */
  spread?: { from: Date | string; to: Date | string };
}

/** The answer of `org.generate()`. */
export interface GenerateResult {
  object: string;
  count: number;
  /** Id of the first and the last generated record (ids are sequential in between). */
  firstId: string | null;
  lastId: string | null;
}

const DAY = 86_400_000;

/** The maker of one field's values, or an explanation why the field cannot be generated. */
export function valueMaker(
  field: CompiledField,
  options: { now: number; parents: (objectName: string) => string[] },
): (index: number, sequence: number) => unknown {
  const label = field.name.replace(/__c$/i, '').replace(/_/g, ' ');
  const cut = (text: string) => (field.length > 0 && text.length > field.length ? text.slice(-field.length) : text);
  switch (field.valueType) {
    case 'string':
    case 'textarea':
      if (field.unique || field.externalId) return (_index, sequence) => cut(`G${sequence}`);
      return (index) => cut(`${label} ${index}`);
    case 'email':
      return (_index, sequence) => cut(`user${sequence}@example.com`);
    case 'phone':
      return (index) => `+1 555 ${String(index % 10_000_000).padStart(7, '0')}`;
    case 'url':
      return (index) => cut(`https://example.com/${index}`);
    case 'picklist': {
      const values = [...(field.picklist?.values() ?? [])];
      if (values.length === 0) return (index) => cut(`${label} ${index % 10}`);
      return (index) => values[index % values.length];
    }
    case 'multipicklist': {
      const values = [...(field.picklist?.values() ?? [])];
      if (values.length === 0) return () => null;
      return (index) => values[index % values.length];
    }
    case 'boolean':
      return (index) => index % 2 === 0;
    case 'int': {
      const limit = Math.min(field.numberLimit || 1e9, 1e9);
      return (index) => index % limit;
    }
    case 'double':
    case 'currency':
    case 'percent': {
      const limit = Math.min(field.numberLimit || 1e9, 1e9);
      const scale = field.scale > 0 ? field.scale : 2;
      const factor = 10 ** scale;
      return (index) => Math.round(((index * 7919) % (limit * factor)) + (index % factor)) / factor;
    }
    case 'date': {
      // 3650 distinct values, made once: every record shares the strings.
      const days = Array.from({ length: 3650 }, (_, day) =>
        new Date(options.now - day * DAY).toISOString().slice(0, 10),
      );
      return (index) => days[index % 3650];
    }
    case 'datetime': {
      const hours = Array.from({ length: 3650 }, (_, hour) => formatDateTime(options.now - hour * 3_600_000));
      return (index) => hours[index % 3650];
    }
    case 'time':
      return (index) => `${String(index % 24).padStart(2, '0')}:${String(index % 60).padStart(2, '0')}:00.000Z`;
    case 'reference': {
      const target = field.referenceTo[0] ?? '';
      const ids = options.parents(target);
      if (ids.length === 0) {
        if (field.requiredOnCreate) {
          throw new OrgError(
            'REQUIRED_FIELD_MISSING',
            `${field.name} needs ${target} records to refer to: generate or seed them first`,
          );
        }
        return () => null;
      }
      return (index) => ids[index % ids.length];
    }
    default:
      throw new OrgError('INVALID_FIELD', `${field.name}: cannot generate values of type ${field.valueType}`);
  }
}
