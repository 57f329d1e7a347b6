// The comparison operators of a condition (=, !=, <, <=, >, >=, LIKE, IN, NOT IN, INCLUDES, EXCLUDES) as predicates.
import { OrgError } from '../contract.js';
import { malformed, positioned, unsupported } from './errors.js';
import { type DateRange, type Filter, isRange } from './literals.js';
import type { Predicate } from './types.js';

/** The predicate of `operand operator literals`; `raw` are the literals as written, `values` as converted. */
export function operatorPredicate(filter: Filter, operator: string, raw: string[], values: unknown[]): Predicate {
  switch (operator) {
    case '=':
    case '!=':
      return equality(filter, values[0], operator === '!=');
    case '<':
    case '<=':
    case '>':
    case '>=':
      return ordering(filter, operator, values[0]);
    case 'LIKE':
      return like(filter, String(raw[0] ?? ''));
    case 'IN':
    case 'NOT IN':
      return membership(filter, values, operator === 'NOT IN');
    case 'INCLUDES':
    case 'EXCLUDES':
      return includes(filter, operator, values);
    default:
      throw unsupported(`The operator ${operator}`);
  }
}

/** A record's value as compared: null for missing, lower-cased text on text fields. */
function normalized(filter: Filter, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (filter.isText) return String(value).toLowerCase();
  return value;
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const left = String(a);
  const right = String(b);
  return left < right ? -1 : left > right ? 1 : 0;
}

/** Equality with a literal: null only equals null, a date range holds its day, picklist sets compare unordered. */
function equals(filter: Filter, value: unknown, literal: unknown): boolean {
  if (literal === null) return value === null;
  if (value === null) return false;
  if (isRange(literal)) return compare(value, literal.start) >= 0 && compare(value, literal.end) < 0;
  if (filter.type === 'multipicklist') {
    const have = new Set(String(value).split(';'));
    const want = String(literal).split(';');
    return have.size === want.length && want.every((part) => have.has(part));
  }
  return value === literal;
}

function equality(filter: Filter, literal: unknown, negate: boolean): Predicate {
  return (record) => equals(filter, normalized(filter, filter.get(record)), literal) !== negate;
}

function ordering(filter: Filter, operator: string, literal: unknown): Predicate {
  if (literal === null) {
    throw malformed(positioned(filter.soql, filter.rawField, `invalid operator on null: ${operator}`));
  }
  if (filter.type === 'boolean' || filter.isId || filter.type === 'multipicklist') {
    throw new OrgError(
      'INVALID_QUERY_FILTER_OPERATOR',
      positioned(filter.soql, filter.rawField, `invalid operator on ${filter.typeName} field: ${operator}`),
    );
  }
  return (record) => {
    const value = normalized(filter, filter.get(record));
    if (value === null) return false;
    if (isRange(literal)) return inRangeOrder(operator, value, literal);
    const order = compare(value, literal);
    if (operator === '<') return order < 0;
    if (operator === '<=') return order <= 0;
    if (operator === '>') return order > 0;
    return order >= 0;
  };
}

/** `<`, `<=`, `>`, `>=` against a date literal: before its start, before its end, from its end, from its start. */
function inRangeOrder(operator: string, value: unknown, literal: DateRange): boolean {
  if (operator === '<') return compare(value, literal.start) < 0;
  if (operator === '<=') return compare(value, literal.end) < 0;
  if (operator === '>') return compare(value, literal.end) >= 0;
  return compare(value, literal.start) >= 0;
}

function like(filter: Filter, rawLiteral: string): Predicate {
  if (!filter.isText && !filter.isId) {
    throw new OrgError(
      'INVALID_QUERY_FILTER_OPERATOR',
      positioned(filter.soql, filter.rawField, `invalid operator on field '${filter.field.name}': LIKE`),
    );
  }
  const regex = likePattern(rawLiteral);
  return (record) => {
    const value = filter.get(record);
    return value !== null && regex.test(String(value));
  };
}

/** A LIKE pattern as a case-insensitive regex; works on the raw literal so that `\%` and `\_` stay literal. */
function likePattern(rawLiteral: string): RegExp {
  const pattern = rawLiteral.startsWith("'") && rawLiteral.endsWith("'") ? rawLiteral.slice(1, -1) : rawLiteral;
  let source = '';
  const literal = (char: string) => char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index]!;
    if (char === '\\' && index + 1 < pattern.length) {
      const next = pattern[++index]!;
      source += literal(next === 'n' ? '\n' : next === 't' ? '\t' : next === 'r' ? '\r' : next);
    } else if (char === '%') source += '[\\s\\S]*';
    else if (char === '_') source += '[\\s\\S]';
    else source += literal(char);
  }
  return new RegExp(`^${source}$`, 'i');
}

function membership(filter: Filter, values: unknown[], negate: boolean): Predicate {
  if (filter.type === 'multipicklist') throw unsupported('IN on a multi-select picklist');
  const set = new Set(values.filter((value) => !isRange(value)));
  const ranges = values.filter(isRange);
  return (record) => {
    const value = normalized(filter, filter.get(record));
    const found = set.has(value) || ranges.some((range) => equals(filter, value, range));
    return found !== negate;
  };
}

function includes(filter: Filter, operator: string, values: unknown[]): Predicate {
  if (filter.type !== 'multipicklist') {
    throw new OrgError(
      'INVALID_QUERY_FILTER_OPERATOR',
      positioned(filter.soql, filter.rawField, `${operator} is only valid on multi-select picklist fields`),
    );
  }
  const groups = values.map((value) =>
    String(value)
      .split(';')
      .map((part) => part.trim()),
  );
  const negate = operator === 'EXCLUDES';
  return (record) => {
    const value = normalized(filter, filter.get(record));
    const have = new Set(value === null ? [] : String(value).split(';'));
    const hit = groups.some((group) => group.every((part) => have.has(part)));
    return hit !== negate;
  };
}
