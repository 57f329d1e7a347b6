/**
 * The SOQL engine: parses with `@jetstreamapp/soql-parser-js`, checks every name against the org's
 * schema, then filters, sorts, pages and projects records into Salesforce's REST shape.
 * Anything it does not support fails with MALFORMED_QUERY naming the construct, never a wrong answer.
 */
import {
  type FunctionExp,
  type FieldType as ParsedFieldType,
  parseQuery,
  type Query,
  type Subquery,
  type WhereClause,
} from '@jetstreamapp/soql-parser-js';
import { OrgError, type OrgRecord, type QueryResult } from '../contract.js';
import { normalizeId } from '../ids.js';
import type { LocalOrg, ObjectStore } from '../org/org.js';
import { formatDateTime, parseDate, parseDateTimeMillis } from '../org/values.js';
import type { CompiledField, CompiledObject } from '../schema/compile.js';
import { dateLiteralRange } from './dates.js';

/** A resolved field path: reference hops, then the final field. */
interface FieldPath {
  hops: CompiledField[];
  /** Objects reached by each hop (same length as hops). */
  hopObjects: CompiledObject[];
  field: CompiledField;
  /** Canonical path (`Owner.Name`). */
  path: string;
}

type Predicate = (record: OrgRecord) => boolean;

interface SelectItem {
  kind: 'field' | 'subquery' | 'aggregate' | 'typeof';
  path?: FieldPath;
  subquery?: CompiledSubquery;
  aggregate?: { fn: string; path: FieldPath | undefined; alias: string };
  /** `FORMAT(field)`: the value as the user's locale shows it. */
  transform?: (value: unknown) => unknown;
  /** The output key when it is not the field's name (an alias of `toLabel(...)` / `FORMAT(...)`). */
  key?: string;
  /** `TYPEOF rel WHEN Type THEN fields ... ELSE fields END`. */
  typeOf?: { reference: CompiledField; when: Map<string, FieldPath[]>; otherwise: FieldPath[] | undefined };
}

/**
 * `FORMAT(field)` for the emulator's one locale, en_US with USD and UTC (Salesforce formats for the user's locale and
 * time zone): currency `$44,000.00`, numbers with grouping, percent `12.50%`, dates `4/10/2025`, datetimes
 * `4/10/2025, 3:31 PM`, times `3:31 PM`; other types unchanged.
 */
function formatter(field: CompiledField): ((value: unknown) => unknown) | undefined {
  const scale = { minimumFractionDigits: field.scale, maximumFractionDigits: field.scale };
  const asNumber = (options: Intl.NumberFormatOptions) => {
    const format = new Intl.NumberFormat('en-US', options);
    return (value: unknown) => (typeof value === 'number' ? format.format(value) : value);
  };
  switch (field.valueType) {
    case 'currency':
      return asNumber({ style: 'currency', currency: 'USD', ...scale });
    case 'int':
    case 'double':
      return asNumber(scale);
    case 'percent': {
      const number = asNumber(scale);
      return (value) => (typeof value === 'number' ? `${number(value)}%` : value);
    }
    case 'date': {
      const format = new Intl.DateTimeFormat('en-US', {
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        timeZone: 'UTC',
      });
      return (value) => (typeof value === 'string' ? format.format(new Date(`${value}T00:00:00Z`)) : value);
    }
    case 'datetime': {
      const format = new Intl.DateTimeFormat('en-US', {
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: '2-digit',
        timeZone: 'UTC',
      });
      return (value) => (typeof value === 'string' ? format.format(new Date(value.replace(/\+0000$/, 'Z'))) : value);
    }
    case 'time': {
      const format = new Intl.DateTimeFormat('en-US', { hour: 'numeric', minute: '2-digit', timeZone: 'UTC' });
      return (value) =>
        typeof value === 'string' ? format.format(new Date(`1970-01-01T${value.slice(0, 12)}Z`)) : value;
    }
    default:
      return undefined;
  }
}

interface CompiledSubquery {
  relationshipName: string;
  child: ObjectStore;
  field: CompiledField;
  items: SelectItem[];
  where: Predicate | undefined;
  order: OrderKey[];
  limit: number | undefined;
  offset: number | undefined;
}

interface OrderKey {
  path: FieldPath;
  descending: boolean;
  nullsLast: boolean;
}

const UNSUPPORTED_HINT = 'is not supported by the local org';

function malformed(message: string): OrgError {
  return new OrgError('MALFORMED_QUERY', message);
}

function unsupported(construct: string): OrgError {
  return malformed(`${construct} ${UNSUPPORTED_HINT}`);
}

/** Builds Salesforce's positioned error message: the query, a caret, `ERROR at Row:r:Column:c`, the text. */
function positioned(soql: string, token: string, message: string): string {
  let at = -1;
  if (token) {
    const pattern = new RegExp(
      `(^|[^A-Za-z0-9_.])${token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_])`,
      'i',
    );
    const match = pattern.exec(soql);
    if (match) at = match.index + match[1]!.length;
  }
  if (at < 0) return message;
  const before = soql.slice(0, at);
  const row = before.split('\n').length;
  const lineStart = before.lastIndexOf('\n') + 1;
  const column = at - lineStart + 1;
  const lineEnd = soql.indexOf('\n', at);
  const line = soql.slice(lineStart, lineEnd < 0 ? undefined : lineEnd);
  return `${line}\n${' '.repeat(column - 1)}^\nERROR at Row:${row}:Column:${column}\n${message}`;
}

function unquote(literal: string): string {
  const inner = literal.startsWith("'") && literal.endsWith("'") ? literal.slice(1, -1) : literal;
  return inner.replace(/\\(.)/g, (_, char: string) => {
    switch (char) {
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'r':
        return '\r';
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      default:
        return char;
    }
  });
}

class QueryCompiler {
  private readonly now: Date;

  constructor(
    private readonly org: LocalOrg,
    private readonly soql: string,
    private readonly includeDeleted: boolean,
  ) {
    this.now = org.now();
  }

  objectStore(name: string): ObjectStore {
    const store = this.org.storeOf(name);
    if (!store) {
      throw new OrgError(
        'INVALID_TYPE',
        positioned(
          this.soql,
          name,
          `sObject type '${name}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`,
        ),
      );
    }
    return store;
  }

  resolvePath(object: CompiledObject, rawPath: string, alias?: string): FieldPath {
    let parts = rawPath.split('.');
    if (alias && parts.length > 1 && parts[0]!.toLowerCase() === alias.toLowerCase()) parts = parts.slice(1);
    const hops: CompiledField[] = [];
    const hopObjects: CompiledObject[] = [];
    const names: string[] = [];
    let current = object;
    for (let index = 0; index < parts.length - 1; index++) {
      const part = parts[index]!;
      const reference = current.byRelationship.get(part.toLowerCase());
      if (!reference) {
        throw new OrgError(
          'INVALID_FIELD',
          positioned(
            this.soql,
            rawPath,
            `Didn't understand relationship '${part}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.`,
          ),
        );
      }
      let next: CompiledObject;
      if (reference.referenceTo.length !== 1) {
        // A polymorphic relationship (What, Who, Owner to several objects): Salesforce reads it through the
        // Name entity, so only one field of the referenced record can follow, read on whatever object it is.
        if (index !== parts.length - 2) {
          throw unsupported(`A path through the polymorphic relationship ${reference.relationshipName}`);
        }
        next = this.polymorphicTarget(reference, parts[parts.length - 1]!, rawPath);
      } else {
        next = this.objectStore(reference.referenceTo[0]!).object;
      }
      hops.push(reference);
      hopObjects.push(next);
      names.push(reference.relationshipName!);
      current = next;
    }
    const last = parts[parts.length - 1]!;
    const field = current.byLower.get(last.toLowerCase());
    if (!field) {
      throw new OrgError(
        'INVALID_FIELD',
        positioned(
          this.soql,
          rawPath,
          `No such column '${last}' on entity '${current.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
        ),
      );
    }
    names.push(field.name);
    return { hops, hopObjects, field, path: names.join('.') };
  }

  /**
   * The object that types a field read through a polymorphic relationship: the first of its referenced objects that
   * has the field (its values are then read on each record's own object, null where that object lacks it).
   */
  polymorphicTarget(reference: CompiledField, fieldName: string, rawPath: string): CompiledObject {
    const lower = fieldName.toLowerCase();
    for (const name of reference.referenceTo) {
      const object = this.org.storeOf(name)?.object;
      if (object?.byLower.has(lower)) return object;
    }
    throw new OrgError(
      'INVALID_FIELD',
      positioned(
        this.soql,
        rawPath,
        `No such column '${fieldName}' on entity 'Name'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
      ),
    );
  }

  /** The field of a record's own object with the name of `field` (differs from `field` across a polymorphic hop). */
  private fieldOn(record: OrgRecord, field: CompiledField, polymorphic: boolean): CompiledField | undefined {
    if (!polymorphic) return field;
    return this.org.storeOfId(record.Id)?.object.byLower.get(field.lower);
  }

  /** The value at a path for a record (formulas computed, missing parents give null). */
  valueAt(path: FieldPath, record: OrgRecord): unknown {
    let current: OrgRecord | undefined = record;
    for (const hop of path.hops) {
      const id: unknown = current[hop.name];
      if (typeof id !== 'string') return null;
      current = this.org.rawGetCanonical(id);
      if (!current) return null;
    }
    const polymorphic = path.hops.length > 0 && path.hops[path.hops.length - 1]!.referenceTo.length > 1;
    // `What.Type` on the Name entity is the referenced record's object name.
    if (polymorphic && path.field.lower === 'type') return this.org.storeOfId(current.Id)?.object.name ?? null;
    const field = this.fieldOn(current, path.field, polymorphic);
    if (!field) return null;
    if (field.isFormula) return this.org.computeFormula(field, current);
    const value = current[field.name];
    return value === undefined ? null : value;
  }

  checkQueryShape(query: Query | Subquery, nested: boolean): void {
    if (query.groupBy && nested) throw unsupported('GROUP BY in a subquery');
    if (query.having && (nested || !query.groupBy)) throw malformed('HAVING needs a GROUP BY clause');
    if (query.withDataCategory) throw unsupported('WITH DATA CATEGORY');
    // FOR VIEW / FOR REFERENCE only update "recently viewed" data: no effect on the rows. FOR UPDATE locks.
    if (query.for === 'UPDATE') throw unsupported('FOR UPDATE');
    if (query.update) throw unsupported(`UPDATE ${query.update}`);
    if (query.usingScope) throw unsupported('USING SCOPE');
    if (query.offset !== undefined && query.offset > 2000) {
      throw new OrgError('NUMBER_OUTSIDE_VALID_RANGE', `Maximum SOQL offset allowed is 2000`);
    }
    if (nested && (query as Subquery).sObjectPrefix) throw unsupported('A prefixed relationship in a subquery');
  }

  compileSelect(
    store: ObjectStore,
    fields: ParsedFieldType[],
    query: Query | Subquery,
    alias: string | undefined,
    nested: boolean,
  ): SelectItem[] {
    const object = store.object;
    const items: SelectItem[] = [];
    for (const item of fields) {
      switch (item.type) {
        case 'Field':
          items.push({ kind: 'field', path: this.resolvePath(object, item.field, alias) });
          break;
        case 'FieldRelationship': {
          if ('alias' in item && item.alias) throw unsupported('An alias on a relationship field');
          const raw = [...item.relationships, item.field].join('.');
          items.push({ kind: 'field', path: this.resolvePath(object, raw, alias) });
          break;
        }
        case 'FieldSubquery': {
          if (nested) throw malformed('Nested subqueries are not supported');
          items.push({ kind: 'subquery', subquery: this.compileSubquery(store, item.subquery) });
          break;
        }
        case 'FieldFunctionExpression': {
          const name = item.functionName.toUpperCase();
          if (name === 'FIELDS') {
            const kind = String(item.parameters[0] ?? '').toUpperCase();
            if (kind !== 'ALL' && kind !== 'STANDARD' && kind !== 'CUSTOM') throw malformed(`Unknown FIELDS(${kind})`);
            if (kind !== 'STANDARD' && (query.limit === undefined || query.limit > 200)) {
              throw malformed('The SOQL FIELDS function must have a LIMIT of at most 200');
            }
            for (const field of object.fields) {
              if (kind === 'CUSTOM' && !field.custom) continue;
              if (kind === 'STANDARD' && field.custom) continue;
              items.push({ kind: 'field', path: { hops: [], hopObjects: [], field, path: field.name } });
            }
            break;
          }
          if (name === 'TOLABEL' || name === 'FORMAT') {
            const parameter = item.parameters[0];
            if (typeof parameter !== 'string') throw unsupported(`The nested function in ${item.rawValue ?? name}`);
            const path = this.resolvePath(object, parameter, alias);
            // Picklist labels are their values in the emulator, so toLabel() reads the value itself.
            const transform = name === 'FORMAT' ? formatter(path.field) : undefined;
            items.push({
              kind: 'field',
              path,
              ...(transform ? { transform } : {}),
              ...(item.alias ? { key: item.alias } : {}),
            });
            break;
          }
          if (!['COUNT', 'COUNT_DISTINCT', 'MIN', 'MAX', 'SUM', 'AVG'].includes(name)) {
            throw unsupported(`The function ${item.rawValue ?? name}`);
          }
          if (nested) throw unsupported('An aggregate function in a subquery');
          const parameter = item.parameters[0];
          if (parameter !== undefined && typeof parameter !== 'string') {
            throw unsupported(`The nested function in ${item.rawValue ?? name}`);
          }
          if (parameter === undefined && name !== 'COUNT') throw malformed(`${name}() needs a field`);
          const path = parameter === undefined ? undefined : this.resolvePath(object, parameter, alias);
          if (path && (name === 'SUM' || name === 'AVG')) {
            const type = path.field.valueType;
            if (!['int', 'double', 'currency', 'percent'].includes(type)) {
              throw new OrgError(
                'INVALID_FIELD',
                positioned(
                  this.soql,
                  parameter!,
                  `field ${path.field.name} does not support aggregate operator ${name}`,
                ),
              );
            }
          }
          items.push({ kind: 'aggregate', aggregate: { fn: name, path, alias: item.alias ?? '' } });
          break;
        }
        case 'FieldTypeof':
          items.push(this.compileTypeof(object, item));
          break;
        default:
          throw unsupported('This select item');
      }
    }
    return items;
  }

  /**
   * `ActivityHistories` (closed activities) and `OpenActivities` (open ones) of a record that activities can relate
   * to: read from Tasks whose WhatId is the parent, split on IsClosed. Events are not included, and the rows say
   * `Task` in their attributes where Salesforce says `ActivityHistory` / `OpenActivity`.
   */
  activitySubquery(parent: ObjectStore, subquery: Subquery): CompiledSubquery | undefined {
    const lower = subquery.relationshipName.toLowerCase();
    if (lower !== 'activityhistories' && lower !== 'openactivities') return undefined;
    const tasks = this.org.storeOf('Task');
    const whatId = tasks?.object.byLower.get('whatid');
    const isClosed = tasks?.object.byLower.get('isclosed');
    if (!tasks || !whatId || !isClosed || !whatId.referenceTo.includes(parent.object.name)) return undefined;
    const closed = lower === 'activityhistories';
    const items = this.compileSelect(tasks, subquery.fields ?? [], subquery, undefined, true);
    const where = subquery.where ? this.compileWhere(tasks.object, subquery.where, undefined) : undefined;
    const closedPath: FieldPath = { hops: [], hopObjects: [], field: isClosed, path: isClosed.name };
    return {
      relationshipName: closed ? 'ActivityHistories' : 'OpenActivities',
      child: tasks,
      field: whatId,
      items,
      where: (record) => (this.valueAt(closedPath, record) === true) === closed && (!where || where(record)),
      order: this.compileOrder(tasks.object, subquery.orderBy, undefined),
      limit: subquery.limit,
      offset: subquery.offset,
    };
  }

  /** `TYPEOF What WHEN Account THEN Name, Phone ... ELSE Name END` on a polymorphic relationship. */
  compileTypeof(
    object: CompiledObject,
    item: { field: string; conditions: Array<{ type: string; objectType?: string; fieldList: string[] }> },
  ): SelectItem {
    const reference = object.byRelationship.get(item.field.toLowerCase());
    if (!reference) {
      throw new OrgError(
        'INVALID_FIELD',
        positioned(this.soql, item.field, `Didn't understand relationship '${item.field}' in field path.`),
      );
    }
    if (reference.referenceTo.length < 2) {
      throw malformed(
        positioned(
          this.soql,
          item.field,
          `TYPEOF needs a polymorphic relationship: ${reference.relationshipName} is not one`,
        ),
      );
    }
    const when = new Map<string, FieldPath[]>();
    let otherwise: FieldPath[] | undefined;
    for (const condition of item.conditions) {
      if (condition.type === 'WHEN') {
        const target = this.objectStore(condition.objectType ?? '').object;
        if (!reference.referenceTo.some((name) => name.toLowerCase() === target.lower)) {
          throw malformed(
            positioned(this.soql, target.name, `${target.name} is not a type of ${reference.relationshipName}`),
          );
        }
        when.set(
          target.lower,
          condition.fieldList.map((field) => this.resolvePath(target, field)),
        );
      } else {
        otherwise = condition.fieldList.map((field) => {
          const target = this.polymorphicTarget(reference, field, `${reference.relationshipName}.${field}`);
          return this.resolvePath(target, field);
        });
      }
    }
    const path: FieldPath = { hops: [], hopObjects: [], field: reference, path: reference.relationshipName! };
    return { kind: 'typeof', path, typeOf: { reference, when, otherwise } };
  }

  /** The nested object of a TYPEOF item: the fields its WHEN (or ELSE) names for the referenced record's type. */
  projectTypeof(out: Record<string, unknown>, item: SelectItem, record: OrgRecord): void {
    const { reference, when, otherwise } = item.typeOf!;
    const name = reference.relationshipName!;
    const id: unknown = record[reference.name];
    const parent = typeof id === 'string' ? this.org.rawGetCanonical(id) : undefined;
    if (!parent || (parent.IsDeleted === true && !this.includeDeleted)) {
      out[name] = null;
      return;
    }
    const type = this.org.storeOfId(parent.Id)?.object;
    const nested: Record<string, unknown> = {
      attributes: { type: type?.name ?? null, url: type ? this.recordUrl(type.name, parent.Id) : null },
    };
    const paths = type ? when.get(type.lower) : undefined;
    if (paths) {
      for (const path of paths) this.projectPath(nested, path, parent);
    } else {
      for (const path of otherwise ?? []) {
        const field = this.fieldOn(parent, path.field, true);
        const value = !field ? null : field.isFormula ? this.org.computeFormula(field, parent) : parent[field.name];
        nested[path.field.name] = value === undefined ? null : value;
      }
    }
    out[name] = nested;
  }

  compileSubquery(parent: ObjectStore, subquery: Subquery): CompiledSubquery {
    this.checkQueryShape(subquery, true);
    const name = subquery.relationshipName;
    const relationship = this.org
      .childRelationships(parent.object.name)
      .find((child) => child.relationshipName?.toLowerCase() === name.toLowerCase());
    const activities = relationship ? undefined : this.activitySubquery(parent, subquery);
    if (activities) return activities;
    if (!relationship) {
      throw new OrgError(
        'INVALID_TYPE',
        positioned(
          this.soql,
          name,
          `Didn't understand relationship '${name}' in FROM part of query call. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.`,
        ),
      );
    }
    const child = this.org.storeOf(relationship.child.name)!;
    const items = this.compileSelect(child, subquery.fields ?? [], subquery, undefined, true);
    return {
      relationshipName: relationship.relationshipName!,
      child,
      field: relationship.childField,
      items,
      where: subquery.where ? this.compileWhere(child.object, subquery.where, undefined) : undefined,
      order: this.compileOrder(child.object, subquery.orderBy, undefined),
      limit: subquery.limit,
      offset: subquery.offset,
    };
  }

  compileOrder(object: CompiledObject, orderBy: Query['orderBy'], alias: string | undefined): OrderKey[] {
    if (!orderBy) return [];
    const list = Array.isArray(orderBy) ? orderBy : [orderBy];
    return list.map((clause) => {
      if (!('field' in clause) || !clause.field) throw unsupported('ORDER BY a function');
      const path = this.resolvePath(object, clause.field, alias);
      if (
        path.field.valueType === 'multipicklist' ||
        (path.field.valueType === 'textarea' && path.field.length > 255)
      ) {
        throw malformed(
          positioned(this.soql, clause.field, `field '${path.field.name}' can not be sorted in a query call`),
        );
      }
      return {
        path,
        descending: clause.order === 'DESC',
        nullsLast: clause.nulls === 'LAST',
      };
    });
  }

  // -------------------------------------------------------------- WHERE

  compileWhere(object: CompiledObject, where: WhereClause, alias: string | undefined, having = false): Predicate {
    const tokens: Array<string | Predicate> = [];
    let node: WhereClause | undefined = where;
    while (node) {
      const left = node.left as (Record<string, unknown> & { openParen?: number; closeParen?: number }) | null;
      const operator = 'operator' in node ? node.operator : undefined;
      if (operator === 'NOT' && (left === null || !('field' in left || 'fn' in left || 'valueQuery' in left))) {
        for (let i = 0; i < (left?.openParen ?? 0); i++) tokens.push('(');
        tokens.push('NOT');
      } else if (left) {
        for (let i = 0; i < (left.openParen ?? 0); i++) tokens.push('(');
        tokens.push(this.compileCondition(object, left, alias, having));
        for (let i = 0; i < (left.closeParen ?? 0); i++) tokens.push(')');
        if (operator) tokens.push(operator);
      }
      node = 'right' in node ? (node.right as WhereClause | undefined) : undefined;
    }
    let position = 0;
    const peek = () => tokens[position];
    const parseExpression = (): Predicate => {
      const first = parseUnary();
      const op = peek();
      if (op !== 'AND' && op !== 'OR') return first;
      const operands = [first];
      while (peek() === op) {
        position++;
        operands.push(parseUnary());
      }
      const next = peek();
      if (next === 'AND' || next === 'OR') {
        throw malformed(
          positioned(
            this.soql,
            String(next),
            `unexpected token: '${String(next)}' (use parentheses to mix AND and OR)`,
          ),
        );
      }
      if (op === 'AND') return (record) => operands.every((predicate) => predicate(record));
      return (record) => operands.some((predicate) => predicate(record));
    };
    const parseUnary = (): Predicate => {
      const token = peek();
      if (token === 'NOT') {
        position++;
        const inner = parseUnary();
        return (record) => !inner(record);
      }
      if (token === '(') {
        position++;
        const inner = parseExpression();
        if (peek() !== ')') throw malformed('Unbalanced parentheses in WHERE');
        position++;
        return inner;
      }
      if (typeof token === 'function') {
        position++;
        return token;
      }
      throw malformed(`unexpected token in WHERE: ${String(token)}`);
    };
    const predicate = parseExpression();
    if (position !== tokens.length) throw malformed(`unexpected token in WHERE: ${String(tokens[position])}`);
    return predicate;
  }

  /**
   * One condition of a WHERE clause, or of a HAVING clause (`having`): there the predicate receives a group
   * (`{ [GROUP]: records }`), aggregate functions are computed over its records and grouped fields read on its first.
   */
  compileCondition(
    object: CompiledObject,
    condition: Record<string, unknown>,
    alias: string | undefined,
    having = false,
  ): Predicate {
    const operator = String(condition.operator).toUpperCase();
    let rawField: string;
    let field: { name: string; length: number };
    let type: CompiledField['valueType'];
    let get: (record: OrgRecord) => unknown;
    const fnName = 'fn' in condition ? String((condition.fn as FunctionExp).functionName ?? '').toUpperCase() : '';
    if (having && ['COUNT', 'COUNT_DISTINCT', 'MIN', 'MAX', 'SUM', 'AVG'].includes(fnName)) {
      const fn = condition.fn as FunctionExp;
      const parameter = fn.parameters?.[0];
      if (parameter !== undefined && typeof parameter !== 'string')
        throw unsupported(`HAVING ${fn.rawValue ?? fnName}`);
      const path = parameter === undefined ? undefined : this.resolvePath(object, parameter, alias);
      rawField = fn.rawValue ?? fnName;
      field = { name: rawField, length: 0 };
      type =
        fnName === 'COUNT' || fnName === 'COUNT_DISTINCT' ? 'int' : fnName === 'AVG' ? 'double' : path!.field.valueType;
      get = (group) => aggregate(this, fnName, path, (group as unknown as { [GROUP]: OrgRecord[] })[GROUP]);
    } else if (having && !('fn' in condition)) {
      rawField = String(condition.field);
      const path = this.resolvePath(object, rawField, alias);
      field = path.field;
      type = path.field.valueType;
      get = (group) => this.valueAt(path, (group as unknown as { [GROUP]: OrgRecord[] })[GROUP][0]!);
    } else if ('fn' in condition) {
      const fn = condition.fn as FunctionExp;
      const dateFunction = this.compileDateFunction(object, fn, alias);
      rawField = fn.rawValue ?? fn.functionName ?? '';
      field = { name: rawField, length: 0 };
      type = dateFunction.type;
      get = dateFunction.get;
    } else {
      rawField = String(condition.field);
      const path = this.resolvePath(object, rawField, alias);
      if ('valueQuery' in condition) {
        return this.compileSemiJoin(path, operator, condition.valueQuery as Query);
      }
      field = path.field;
      type = path.field.valueType;
      get = (record: OrgRecord) => this.valueAt(path, record);
    }
    const literalTypes = condition.literalType as string | string[] | undefined;
    const values = condition.value as string | string[];
    const nValues = condition.dateLiteralVariable as number | number[] | undefined;
    const isText = ['string', 'textarea', 'email', 'phone', 'url', 'picklist', 'multipicklist'].includes(type);
    const isId = type === 'id' || type === 'reference';
    const isNumber = ['int', 'double', 'currency', 'percent'].includes(type);
    if (type === 'textarea' && field.length > 255) {
      throw new OrgError(
        'INVALID_FIELD',
        positioned(this.soql, rawField, `field '${field.name}' can not be filtered in a query call`),
      );
    }

    const typeName = type === 'datetime' ? 'dateTime' : type === 'reference' ? 'id' : type;
    const wrongType = (quoted: boolean) =>
      new OrgError(
        'INVALID_QUERY_FILTER_OPERATOR',
        positioned(
          this.soql,
          rawField,
          quoted
            ? `value of filter criterion for field '${field.name}' must be of type ${typeName} and should not be enclosed in quotes`
            : `value of filter criterion for field '${field.name}' must be of type ${typeName} and should be enclosed in quotes`,
        ),
      );

    /** Converts one literal into a comparable value, or a day range for date literals. */
    const convert = (raw: string, literalType: string, n: number | undefined): unknown => {
      switch (literalType) {
        case 'NULL':
          return null;
        case 'STRING': {
          const text = unquote(raw);
          if (isText) return text.toLowerCase();
          if (isId) {
            const id = normalizeId(text);
            if (!id) {
              throw new OrgError(
                'INVALID_QUERY_FILTER_OPERATOR',
                positioned(this.soql, rawField, `invalid ID field: ${text}`),
              );
            }
            return id;
          }
          if (type === 'time') return text;
          throw wrongType(true);
        }
        case 'INTEGER':
        case 'DECIMAL': {
          if (!isNumber) throw wrongType(false);
          return Number(raw);
        }
        case 'BOOLEAN': {
          if (type !== 'boolean') throw wrongType(!isText && !isId);
          return raw.toUpperCase() === 'TRUE';
        }
        case 'DATE': {
          if (type !== 'date') throw wrongType(false);
          const date = parseDate(raw);
          if (!date) throw malformed(positioned(this.soql, raw, `invalid date: ${raw}`));
          return date;
        }
        case 'DATETIME': {
          if (type !== 'datetime') throw wrongType(false);
          const millis = parseDateTimeMillis(raw);
          if (millis === undefined) throw malformed(positioned(this.soql, raw, `invalid dateTime: ${raw}`));
          return formatDateTime(millis);
        }
        case 'DATE_LITERAL':
        case 'DATE_N_LITERAL': {
          if (type !== 'date' && type !== 'datetime') throw wrongType(false);
          const name = raw.split(':')[0]!;
          const range = dateLiteralRange(name, this.now, n ?? 1);
          if (!range) throw unsupported(`The date literal ${raw}`);
          const format =
            type === 'date'
              ? (millis: number) => new Date(millis).toISOString().slice(0, 10)
              : (millis: number) => formatDateTime(millis);
          return { range: true, start: format(range.start), end: format(range.end) };
        }
        case 'APEX_BIND_VARIABLE':
          throw unsupported(`The bind variable :${raw}`);
        default:
          throw unsupported(`The literal ${raw} (${literalType})`);
      }
    };

    const listValues = Array.isArray(values) ? values : [values];
    const listTypes = Array.isArray(literalTypes) ? literalTypes : listValues.map(() => literalTypes ?? 'STRING');
    const listN = Array.isArray(nValues) ? nValues : listValues.map(() => nValues);
    const converted = listValues.map((raw, index) => convert(raw, listTypes[index] ?? 'STRING', listN[index]));
    const norm = (value: unknown): unknown => {
      if (value === null || value === undefined) return null;
      if (isText) return String(value).toLowerCase();
      return value;
    };
    const isRange = (value: unknown): value is { range: true; start: string; end: string } =>
      typeof value === 'object' && value !== null && 'range' in value;

    const compare = (a: unknown, b: unknown): number => {
      if (typeof a === 'number' && typeof b === 'number') return a - b;
      const left = String(a);
      const right = String(b);
      return left < right ? -1 : left > right ? 1 : 0;
    };

    const equals = (value: unknown, literal: unknown): boolean => {
      if (literal === null) return value === null;
      if (value === null) return false;
      if (isRange(literal)) return compare(value, literal.start) >= 0 && compare(value, literal.end) < 0;
      if (type === 'multipicklist') {
        const have = new Set(String(value).split(';'));
        const want = String(literal).split(';');
        return have.size === want.length && want.every((part) => have.has(part));
      }
      return value === literal;
    };

    switch (operator) {
      case '=':
      case '!=': {
        const literal = converted[0];
        const negate = operator === '!=';
        return (record) => equals(norm(get(record)), literal) !== negate;
      }
      case '<':
      case '<=':
      case '>':
      case '>=': {
        const literal = converted[0];
        if (literal === null) throw malformed(positioned(this.soql, rawField, `invalid operator on null: ${operator}`));
        if (type === 'boolean' || isId || type === 'multipicklist') {
          throw new OrgError(
            'INVALID_QUERY_FILTER_OPERATOR',
            positioned(this.soql, rawField, `invalid operator on ${typeName} field: ${operator}`),
          );
        }
        return (record) => {
          const value = norm(get(record));
          if (value === null) return false;
          if (isRange(literal)) {
            if (operator === '<') return compare(value, literal.start) < 0;
            if (operator === '<=') return compare(value, literal.end) < 0;
            if (operator === '>') return compare(value, literal.end) >= 0;
            return compare(value, literal.start) >= 0;
          }
          const order = compare(value, literal);
          if (operator === '<') return order < 0;
          if (operator === '<=') return order <= 0;
          if (operator === '>') return order > 0;
          return order >= 0;
        };
      }
      case 'LIKE': {
        if (!isText && !isId) {
          throw new OrgError(
            'INVALID_QUERY_FILTER_OPERATOR',
            positioned(this.soql, rawField, `invalid operator on field '${field.name}': LIKE`),
          );
        }
        // Work on the raw literal so that `\\%` and `\\_` stay literal characters.
        const rawLiteral = String(listValues[0] ?? '');
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
        const regex = new RegExp(`^${source}$`, 'i');
        return (record) => {
          const value = get(record);
          return value !== null && regex.test(String(value));
        };
      }
      case 'IN':
      case 'NOT IN': {
        const negate = operator === 'NOT IN';
        if (type === 'multipicklist') throw unsupported('IN on a multi-select picklist');
        const set = new Set(converted.filter((value) => !isRange(value)));
        const ranges = converted.filter(isRange);
        return (record) => {
          const value = norm(get(record));
          const found = set.has(value) || ranges.some((range) => equals(value, range));
          return found !== negate;
        };
      }
      case 'INCLUDES':
      case 'EXCLUDES': {
        if (type !== 'multipicklist') {
          throw new OrgError(
            'INVALID_QUERY_FILTER_OPERATOR',
            positioned(this.soql, rawField, `${operator} is only valid on multi-select picklist fields`),
          );
        }
        const groups = converted.map((value) =>
          String(value)
            .split(';')
            .map((part) => part.trim()),
        );
        const negate = operator === 'EXCLUDES';
        return (record) => {
          const value = norm(get(record));
          const have = new Set(value === null ? [] : String(value).split(';'));
          const hit = groups.some((group) => group.every((part) => have.has(part)));
          return hit !== negate;
        };
      }
      default:
        throw unsupported(`The operator ${operator}`);
    }
  }

  /**
   * Date functions in WHERE: CALENDAR_YEAR, CALENDAR_QUARTER, CALENDAR_MONTH, DAY_IN_MONTH, DAY_IN_WEEK (1 =
   * Sunday), DAY_IN_YEAR, WEEK_IN_MONTH, WEEK_IN_YEAR, HOUR_IN_DAY, DAY_ONLY, and the FISCAL_ forms (the fiscal
   * year is the calendar year). Values are taken in UTC.
   */
  compileDateFunction(
    object: CompiledObject,
    fn: FunctionExp,
    alias: string | undefined,
  ): { type: CompiledField['valueType']; get: (record: OrgRecord) => unknown } {
    const name = String(fn.functionName ?? '').toUpperCase();
    const label = fn.rawValue ?? name;
    const parameter = fn.parameters?.[0];
    if (typeof parameter !== 'string' || (fn.parameters?.length ?? 0) !== 1) {
      throw unsupported(`The function ${label} in WHERE`);
    }
    const path = this.resolvePath(object, parameter, alias);
    const fieldType = path.field.valueType;
    if (fieldType !== 'date' && fieldType !== 'datetime') {
      throw malformed(positioned(this.soql, parameter, `${name} needs a date or dateTime field: ${path.field.name}`));
    }
    const parts = (value: unknown) => {
      const text = String(value);
      const year = Number(text.slice(0, 4));
      const month = Number(text.slice(5, 7));
      const day = Number(text.slice(8, 10));
      const hour = text.length > 10 ? Number(text.slice(11, 13)) : 0;
      const utc = Date.UTC(year, month - 1, day);
      const dayOfYear = Math.round((utc - Date.UTC(year, 0, 1)) / 86_400_000) + 1;
      return { year, month, day, hour, dayOfYear, weekday: new Date(utc).getUTCDay() + 1 };
    };
    const number = (pick: (p: ReturnType<typeof parts>) => number) => ({
      type: 'int' as const,
      get: (record: OrgRecord) => {
        const value = this.valueAt(path, record);
        return value === null ? null : pick(parts(value));
      },
    });
    switch (name.replace(/^FISCAL_/, 'CALENDAR_')) {
      case 'CALENDAR_YEAR':
        return number((p) => p.year);
      case 'CALENDAR_QUARTER':
        return number((p) => Math.ceil(p.month / 3));
      case 'CALENDAR_MONTH':
        return number((p) => p.month);
      case 'DAY_IN_MONTH':
        return number((p) => p.day);
      case 'DAY_IN_WEEK':
        return number((p) => p.weekday);
      case 'DAY_IN_YEAR':
        return number((p) => p.dayOfYear);
      case 'WEEK_IN_MONTH':
        return number((p) => Math.ceil(p.day / 7));
      case 'WEEK_IN_YEAR':
        return number((p) => Math.ceil(p.dayOfYear / 7));
      case 'HOUR_IN_DAY':
        if (fieldType !== 'datetime') throw malformed(`HOUR_IN_DAY needs a dateTime field: ${path.field.name}`);
        return number((p) => p.hour);
      case 'DAY_ONLY':
        if (fieldType !== 'datetime') throw malformed(`DAY_ONLY needs a dateTime field: ${path.field.name}`);
        return {
          type: 'date',
          get: (record: OrgRecord) => {
            const value = this.valueAt(path, record);
            return value === null ? null : String(value).slice(0, 10);
          },
        };
      default:
        throw unsupported(`The function ${label} in WHERE`);
    }
  }

  compileSemiJoin(path: FieldPath, operator: string, valueQuery: Query): Predicate {
    if (operator !== 'IN' && operator !== 'NOT IN') throw malformed(`A subquery needs IN or NOT IN, not ${operator}`);
    const type = path.field.valueType;
    if (type !== 'id' && type !== 'reference') throw unsupported('A semi-join on a field that is not an id');
    const fields = valueQuery.fields ?? [];
    const only = fields[0];
    if (fields.length !== 1 || !only || only.type !== 'Field') {
      throw malformed('A semi-join subquery must select exactly one id field');
    }
    const inner = runParsed(this.org, this.soql, valueQuery, false);
    const ids = new Set<unknown>();
    for (const record of inner.records) {
      for (const [key, value] of Object.entries(record)) if (key !== 'attributes' && value !== null) ids.add(value);
    }
    const negate = operator === 'NOT IN';
    return (record) => {
      const value = this.valueAt(path, record);
      return (value !== null && ids.has(value)) !== negate;
    };
  }

  // -------------------------------------------------------------- rows

  recordUrl(type: string, id: string): string {
    return `/services/data/v${this.org.apiVersion}/sobjects/${type}/${id}`;
  }

  sort(records: OrgRecord[], order: OrderKey[]): OrgRecord[] {
    if (order.length === 0) return records;
    const keyed = records.map((record) => ({
      record,
      keys: order.map((key) => {
        const value = this.valueAt(key.path, record);
        return typeof value === 'string' ? value.toUpperCase() : value;
      }),
    }));
    keyed.sort((a, b) => {
      for (let index = 0; index < order.length; index++) {
        const key = order[index]!;
        const left = a.keys[index];
        const right = b.keys[index];
        const leftNull = left === null || left === undefined;
        const rightNull = right === null || right === undefined;
        if (leftNull || rightNull) {
          if (leftNull && rightNull) continue;
          return (leftNull ? -1 : 1) * (key.nullsLast ? -1 : 1);
        }
        let cmp: number;
        if (typeof left === 'number' && typeof right === 'number') cmp = left - right;
        else if (typeof left === 'boolean' && typeof right === 'boolean') cmp = Number(left) - Number(right);
        else cmp = String(left) < String(right) ? -1 : String(left) > String(right) ? 1 : 0;
        if (cmp !== 0) return key.descending ? -cmp : cmp;
      }
      return 0;
    });
    return keyed.map((entry) => entry.record);
  }

  project(
    object: CompiledObject,
    record: OrgRecord,
    items: SelectItem[],
    children?: Map<string, Map<string, OrgRecord[]>>,
  ) {
    const out: Record<string, unknown> = {
      attributes: { type: object.name, url: this.recordUrl(object.name, record.Id) },
    };
    for (const item of items) {
      if (item.kind === 'field') this.projectPath(out, item.path!, record, item.transform, item.key);
      else if (item.kind === 'typeof') this.projectTypeof(out, item, record);
      else if (item.kind === 'subquery') {
        const subquery = item.subquery!;
        const list = children?.get(subquery.relationshipName)?.get(record.Id) ?? [];
        let rows = this.sort(list, subquery.order);
        if (subquery.offset) rows = rows.slice(subquery.offset);
        if (subquery.limit !== undefined) rows = rows.slice(0, subquery.limit);
        out[subquery.relationshipName] =
          rows.length === 0
            ? null
            : {
                totalSize: rows.length,
                done: true,
                records: rows.map((row) => this.project(subquery.child.object, row, subquery.items)),
              };
      }
    }
    return out;
  }

  projectPath(
    out: Record<string, unknown>,
    path: FieldPath,
    record: OrgRecord,
    transform?: (value: unknown) => unknown,
    key?: string,
  ): void {
    let target = out;
    let current: OrgRecord | undefined = record;
    for (let index = 0; index < path.hops.length; index++) {
      const hop = path.hops[index]!;
      const name = hop.relationshipName!;
      const id: unknown = current?.[hop.name];
      const parent: OrgRecord | undefined = typeof id === 'string' ? this.org.rawGetCanonical(id) : undefined;
      if (!parent || (parent.IsDeleted === true && !this.includeDeleted)) {
        if (!(name in target)) target[name] = null;
        return;
      }
      const type =
        hop.referenceTo.length > 1
          ? (this.org.storeOfId(parent.Id)?.object.name ?? path.hopObjects[index]!.name)
          : path.hopObjects[index]!.name;
      let nested = target[name] as Record<string, unknown> | null | undefined;
      if (!nested) {
        nested = { attributes: { type, url: this.recordUrl(type, parent.Id) } };
        target[name] = nested;
      }
      target = nested;
      current = parent;
    }
    const last = path.hops[path.hops.length - 1];
    const polymorphic = last !== undefined && last.referenceTo.length > 1;
    if (polymorphic && path.field.lower === 'type') {
      target.Type = this.org.storeOfId(current!.Id)?.object.name ?? null;
      return;
    }
    const field = this.fieldOn(current!, path.field, polymorphic);
    const value = !field ? null : field.isFormula ? this.org.computeFormula(field, current!) : current![field.name];
    const stored = value === undefined ? null : value;
    target[key ?? path.field.name] = transform && stored !== null ? transform(stored) : stored;
  }

  childIndex(records: OrgRecord[], items: SelectItem[]): Map<string, Map<string, OrgRecord[]>> {
    const out = new Map<string, Map<string, OrgRecord[]>>();
    const parents = new Set(records.map((record) => record.Id));
    for (const item of items) {
      if (item.kind !== 'subquery') continue;
      const subquery = item.subquery!;
      const byParent = new Map<string, OrgRecord[]>();
      for (const child of subquery.child.records.values()) {
        if (child.IsDeleted === true && !this.includeDeleted) continue;
        const parentId = child[subquery.field.name];
        if (typeof parentId !== 'string' || !parents.has(parentId)) continue;
        if (subquery.where && !subquery.where(child)) continue;
        const list = byParent.get(parentId);
        if (list) list.push(child);
        else byParent.set(parentId, [child]);
      }
      out.set(subquery.relationshipName, byParent);
    }
    return out;
  }
}

/** A select item's value after its FORMAT() transform (nulls stay null). */
function transformed(item: SelectItem, value: unknown): unknown {
  return item.transform && value !== null && value !== undefined ? item.transform(value) : value;
}

/** The key under which a HAVING predicate receives a group's records. */
const GROUP = Symbol('group');

function aggregate(compiler: QueryCompiler, fn: string, path: FieldPath | undefined, records: OrgRecord[]): unknown {
  if (!path) return records.length;
  const values = records.map((record) => compiler.valueAt(path, record)).filter((value) => value !== null);
  switch (fn) {
    case 'COUNT':
      return values.length;
    case 'COUNT_DISTINCT':
      return new Set(values.map((value) => (typeof value === 'string' ? value.toLowerCase() : value))).size;
    case 'SUM':
      return values.length === 0 ? null : values.reduce((sum: number, value) => sum + Number(value), 0);
    case 'AVG':
      return values.length === 0 ? null : values.reduce((sum: number, value) => sum + Number(value), 0) / values.length;
    case 'MIN':
    case 'MAX': {
      if (values.length === 0) return null;
      let best = values[0];
      for (const value of values) {
        const better =
          typeof value === 'number' && typeof best === 'number'
            ? fn === 'MIN'
              ? value < best
              : value > best
            : fn === 'MIN'
              ? String(value) < String(best)
              : String(value) > String(best);
        if (better) best = value;
      }
      return best;
    }
    default:
      return null;
  }
}

function runParsed(org: LocalOrg, soql: string, query: Query, includeDeleted: boolean): QueryResult {
  const compiler = new QueryCompiler(org, soql, includeDeleted);
  compiler.checkQueryShape(query, false);
  if (!query.sObject) throw malformed('A FROM clause is required');
  const store = compiler.objectStore(query.sObject);
  const object = store.object;
  const alias = query.sObjectAlias;
  const fields = query.fields ?? [];
  const first = fields[0];
  const isCount =
    fields.length === 1 &&
    first?.type === 'FieldFunctionExpression' &&
    first.functionName.toUpperCase() === 'COUNT' &&
    first.parameters.length === 0 &&
    !first.alias;
  const items = isCount ? [] : compiler.compileSelect(store, fields, query, alias, false);
  const aggregates = items.filter((item) => item.kind === 'aggregate');
  if (query.groupBy) {
    if (isCount) throw malformed('COUNT() cannot be used with GROUP BY; use COUNT(Id)');
    return runGrouped(compiler, store, query, items, includeDeleted);
  }
  if (aggregates.length > 0 && aggregates.length !== items.length) {
    throw new OrgError(
      'MALFORMED_QUERY',
      'Field must be grouped or aggregated: an aggregate query without GROUP BY selects only aggregate functions',
    );
  }
  if (
    !isCount &&
    items.some((item) => item.kind === 'aggregate' && item.aggregate!.fn === 'COUNT' && !item.aggregate!.path) &&
    items.length > 1
  ) {
    throw malformed('COUNT() must be the only item of the SELECT list');
  }
  const where = query.where ? compiler.compileWhere(object, query.where, alias) : undefined;
  const order = compiler.compileOrder(object, query.orderBy, alias);

  const matched: OrgRecord[] = [];
  const skipDeleted = !includeDeleted && store.deleted > 0;
  const candidates = query.where ? plannedCandidates(org, store, query.where, alias, includeDeleted) : undefined;
  for (const record of candidates ?? store.records.values()) {
    if (skipDeleted && record.IsDeleted === true) continue;
    if (where && !where(record)) continue;
    matched.push(record);
  }

  if (isCount) {
    let count = matched.length;
    if (query.offset) count = Math.max(0, count - query.offset);
    if (query.limit !== undefined) count = Math.min(count, query.limit);
    return { totalSize: count, records: [], columns: [], isCount: true };
  }
  if (aggregates.length > 0) {
    const row: Record<string, unknown> = { attributes: { type: 'AggregateResult' } };
    const columns: string[] = [];
    let expression = 0;
    for (const item of aggregates) {
      const { fn, path, alias: name } = item.aggregate!;
      const key = name || `expr${expression++}`;
      row[key] = aggregate(compiler, fn, path, matched);
      columns.push(key);
    }
    return { totalSize: 1, records: [row], columns, isCount: false };
  }

  let rows = compiler.sort(matched, order);
  if (query.offset) rows = rows.slice(query.offset);
  if (query.limit !== undefined) rows = rows.slice(0, query.limit);
  const children = items.some((item) => item.kind === 'subquery') ? compiler.childIndex(rows, items) : undefined;
  const records = rows.map((record) => compiler.project(object, record, items, children));
  const columns = items.map((item) => (item.kind === 'subquery' ? item.subquery!.relationshipName : item.path!.path));
  return { totalSize: records.length, records, columns, isCount: false };
}

/**
 * A tiny query planner: when the WHERE clause is a plain AND chain (no OR, NOT or parentheses) with a condition
 * `Id = '...'` / `Id IN (...)`, or `=` / `IN` on a case-insensitive unique or external id field, only the
 * records those values name are scanned (the whole WHERE still runs on them). Undefined means a full scan.
 */
function plannedCandidates(
  org: LocalOrg,
  store: ObjectStore,
  where: WhereClause,
  alias: string | undefined,
  includeDeleted: boolean,
): OrgRecord[] | undefined {
  const conditions: Array<Record<string, unknown>> = [];
  let node: WhereClause | undefined = where;
  while (node) {
    const left = node.left as Record<string, unknown> | null;
    const operator = 'operator' in node ? node.operator : undefined;
    if (operator !== undefined && operator !== 'AND') return undefined;
    if (!left || !('field' in left) || 'openParen' in left || 'closeParen' in left || 'valueQuery' in left) {
      return undefined;
    }
    conditions.push(left);
    node = 'right' in node ? (node.right as WhereClause | undefined) : undefined;
  }
  for (const condition of conditions) {
    const operator = String(condition.operator).toUpperCase();
    if (operator !== '=' && operator !== 'IN') continue;
    let name = String(condition.field);
    if (alias && name.toLowerCase().startsWith(`${alias.toLowerCase()}.`)) name = name.slice(alias.length + 1);
    if (name.includes('.')) continue;
    const field = store.object.byLower.get(name.toLowerCase());
    if (!field) continue;
    const values = Array.isArray(condition.value) ? condition.value : [condition.value];
    const types = Array.isArray(condition.literalType)
      ? condition.literalType
      : values.map(() => condition.literalType);
    if (!types.every((type) => type === 'STRING')) continue;
    const texts = (values as string[]).map(unquote);
    if (field.type === 'id') {
      const out: OrgRecord[] = [];
      const seen = new Set<string>();
      for (const text of texts) {
        const id = normalizeId(text);
        if (!id || seen.has(id)) continue;
        seen.add(id);
        const record = store.records.get(id);
        if (record) out.push(record);
      }
      return out;
    }
    if (!includeDeleted && field.indexed && !field.caseSensitive) {
      const found = org.indexedRecords(store, field, texts);
      if (found) return found;
    }
  }
  return undefined;
}

/** GROUP BY on plain fields (no ROLLUP/CUBE, no HAVING): one AggregateResult record per group. */
function runGrouped(
  compiler: QueryCompiler,
  store: ObjectStore,
  query: Query,
  items: SelectItem[],
  includeDeleted: boolean,
): QueryResult {
  const object = store.object;
  const alias = query.sObjectAlias;
  const clauses = Array.isArray(query.groupBy) ? query.groupBy! : [query.groupBy!];
  const groupPaths = clauses.map((clause) => {
    if (!('field' in clause)) throw unsupported(`GROUP BY ${clause.fn.rawValue ?? clause.fn.functionName ?? ''}`);
    return compiler.resolvePath(object, clause.field, alias);
  });
  if (items.some((item) => item.kind === 'subquery')) throw malformed('A subquery cannot be used with GROUP BY');
  if (items.some((item) => item.kind === 'typeof')) throw unsupported('TYPEOF with GROUP BY');
  for (const item of items) {
    if (item.kind !== 'field') continue;
    if (!groupPaths.some((path) => path.path === item.path!.path)) {
      throw malformed(`Field must be grouped or aggregated: ${item.path!.path}`);
    }
  }
  const where = query.where ? compiler.compileWhere(object, query.where, alias) : undefined;
  const groups = new Map<string, OrgRecord[]>();
  for (const record of store.records.values()) {
    if (!includeDeleted && record.IsDeleted === true) continue;
    if (where && !where(record)) continue;
    const key = JSON.stringify(
      groupPaths.map((path) => {
        const value = compiler.valueAt(path, record);
        return typeof value === 'string' ? value.toLowerCase() : value;
      }),
    );
    const list = groups.get(key);
    if (list) list.push(record);
    else groups.set(key, [record]);
  }
  const columns: string[] = [];
  let expression = 0;
  const keys = items.map((item) => {
    if (item.kind === 'aggregate') return item.aggregate!.alias || `expr${expression++}`;
    return item.key ?? item.path!.field.name;
  });
  columns.push(...keys);
  type Row = { out: Record<string, unknown>; records: OrgRecord[] };
  let rows: Row[] = [...groups.values()].map((records) => {
    const out: Record<string, unknown> = { attributes: { type: 'AggregateResult' } };
    items.forEach((item, index) => {
      const key = keys[index]!;
      out[key] =
        item.kind === 'aggregate'
          ? aggregate(compiler, item.aggregate!.fn, item.aggregate!.path, records)
          : transformed(item, compiler.valueAt(item.path!, records[0]!));
    });
    return { out, records };
  });
  if (query.having) {
    const having = compiler.compileWhere(object, query.having as WhereClause, alias, true);
    rows = rows.filter((row) => having({ [GROUP]: row.records } as unknown as OrgRecord));
  }
  const orderBy = query.orderBy ? (Array.isArray(query.orderBy) ? query.orderBy : [query.orderBy]) : [];
  const orderKeys = orderBy.map((clause) => {
    let compute: (row: Row) => unknown;
    if ('field' in clause && clause.field) {
      const path = compiler.resolvePath(object, clause.field, alias);
      if (!groupPaths.some((candidate) => candidate.path === path.path)) {
        throw malformed(`Ordered field must be grouped or aggregated: ${path.path}`);
      }
      compute = (row) => compiler.valueAt(path, row.records[0]!);
    } else if ('fn' in clause) {
      const fn = String(clause.fn.functionName ?? '').toUpperCase();
      const parameter = clause.fn.parameters?.[0];
      if (!['COUNT', 'COUNT_DISTINCT', 'MIN', 'MAX', 'SUM', 'AVG'].includes(fn) || typeof parameter === 'object') {
        throw unsupported(`ORDER BY ${clause.fn.rawValue ?? fn}`);
      }
      const path = parameter === undefined ? undefined : compiler.resolvePath(object, parameter, alias);
      compute = (row) => aggregate(compiler, fn, path, row.records);
    } else throw unsupported('This ORDER BY clause');
    return { compute, descending: clause.order === 'DESC', nullsLast: clause.nulls === 'LAST' };
  });
  if (orderKeys.length > 0) {
    const keyed = rows.map((row) => ({
      row,
      values: orderKeys.map((key) => {
        const value = key.compute(row);
        return typeof value === 'string' ? value.toUpperCase() : value;
      }),
    }));
    keyed.sort((a, b) => {
      for (let index = 0; index < orderKeys.length; index++) {
        const key = orderKeys[index]!;
        const left = a.values[index];
        const right = b.values[index];
        const leftNull = left === null || left === undefined;
        const rightNull = right === null || right === undefined;
        if (leftNull || rightNull) {
          if (leftNull && rightNull) continue;
          return (leftNull ? -1 : 1) * (key.nullsLast ? -1 : 1);
        }
        const cmp =
          typeof left === 'number' && typeof right === 'number'
            ? left - right
            : String(left) < String(right)
              ? -1
              : String(left) > String(right)
                ? 1
                : 0;
        if (cmp !== 0) return key.descending ? -cmp : cmp;
      }
      return 0;
    });
    rows = keyed.map((entry) => entry.row);
  }
  if (query.offset) rows = rows.slice(query.offset);
  if (query.limit !== undefined) rows = rows.slice(0, query.limit);
  return { totalSize: rows.length, records: rows.map((row) => row.out), columns, isCount: false };
}

/** Runs a SOQL query against an org. `includeDeleted`: queryAll. */
export function runQuery(org: LocalOrg, soql: string, includeDeleted: boolean): QueryResult {
  let query: Query;
  try {
    query = parseQuery(soql);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const found = /but found: '([^']*)'/.exec(message);
    if (found) throw malformed(positioned(soql, found[1]!, `unexpected token: '${found[1]}'`));
    throw malformed(message.split('\n')[0] ?? message);
  }
  return runParsed(org, soql, query, includeDeleted);
}

/** The rows of a Bulk API query job: the matching stored records and how to read each column. */
export interface BulkQueryRows {
  /** The matching stored records in result order (a snapshot: updates replace stored records, never change them). */
  rows: OrgRecord[];
  /** Column names in SELECT order (`Owner.Name` for parent fields). */
  columns: string[];
  /** Per column: reads its value from a stored record (parents followed, formulas computed, null when absent). */
  cells: Array<(record: OrgRecord) => unknown>;
  /** Per column: the value type (`datetime`, `string`, ...). */
  types: string[];
  /** Per column: the stored property to read directly (a plain field of the queried object), else undefined. */
  direct: Array<string | undefined>;
}

function bulkRefusal(what: string): OrgError {
  return new OrgError('INVALIDJOB', `${what} not supported in Bulk V2 Query with CSV content type`);
}

/**
 * Runs a SOQL query for a Bulk API 2.0 query job: the rows stay stored records (no REST-shaped copies), read column
 * by column when a results page is written. Refuses what Bulk query refuses: child subqueries, aggregate functions
 * (COUNT() included), GROUP BY, OFFSET and TYPEOF.
 */
export function runBulkQuery(org: LocalOrg, soql: string, includeDeleted: boolean): BulkQueryRows {
  let query: Query;
  try {
    query = parseQuery(soql);
  } catch (error) {
    runQuery(org, soql, includeDeleted); // throws the syntax error worded as the REST path words it
    throw malformed(error instanceof Error ? error.message : String(error));
  }
  const compiler = new QueryCompiler(org, soql, includeDeleted);
  compiler.checkQueryShape(query, false);
  if (!query.sObject) throw malformed('A FROM clause is required');
  const fields = query.fields ?? [];
  if (fields.some((field) => field.type === 'FieldSubquery')) throw bulkRefusal('Aggregate Relationships');
  if (fields.some((field) => field.type === 'FieldTypeof')) throw bulkRefusal('TYPEOF');
  if (query.groupBy) throw bulkRefusal('GROUP BY');
  if (
    fields.some(
      (field) =>
        field.type === 'FieldFunctionExpression' &&
        /^(count|count_distinct|sum|avg|min|max)$/i.test(field.functionName),
    )
  ) {
    throw bulkRefusal('Aggregate functions');
  }
  if (query.offset !== undefined) throw bulkRefusal('OFFSET');
  const store = compiler.objectStore(query.sObject);
  const object = store.object;
  const alias = query.sObjectAlias;
  const items = compiler.compileSelect(store, fields, query, alias, false);
  const where = query.where ? compiler.compileWhere(object, query.where, alias) : undefined;
  const order = compiler.compileOrder(object, query.orderBy, alias);
  const matched: OrgRecord[] = [];
  const skipDeleted = !includeDeleted && store.deleted > 0;
  const candidates = query.where ? plannedCandidates(org, store, query.where, alias, includeDeleted) : undefined;
  for (const record of candidates ?? store.records.values()) {
    if (skipDeleted && record.IsDeleted === true) continue;
    if (where && !where(record)) continue;
    matched.push(record);
  }
  let rows = order.length > 0 ? compiler.sort(matched, order) : matched;
  if (query.limit !== undefined && rows.length > query.limit) rows = rows.slice(0, query.limit);
  const paths = items.map((item) => item.path!);
  if (paths.some((path) => path.field.valueType === 'address')) {
    throw new OrgError('INVALIDJOB', 'FUNCTIONALITY_NOT_ENABLED: Selecting compound data not supported in Bulk Query');
  }
  // A polymorphic path reads the field on each record's own object: never a direct property read.
  const plain = (path: FieldPath) =>
    path.hops.length === 0 && !path.field.isFormula && !path.hops.some((hop) => hop.referenceTo.length > 1);
  return {
    rows,
    columns: items.map((item) => item.key ?? item.path!.path),
    cells: items.map((item) => {
      const path = item.path!;
      if (item.transform) return (record: OrgRecord) => transformed(item, compiler.valueAt(path, record));
      if (plain(path)) {
        const name = path.field.name;
        return (record: OrgRecord) => record[name] ?? null;
      }
      return (record: OrgRecord) => compiler.valueAt(path, record);
    }),
    types: items.map((item) => (item.transform ? 'string' : item.path!.field.valueType)),
    direct: items.map((item) => (!item.transform && plain(item.path!) ? item.path!.field.name : undefined)),
  };
}
