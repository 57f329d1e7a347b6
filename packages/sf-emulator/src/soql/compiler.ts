// The query compiler: resolves names against the org's schema and compiles SELECT, WHERE, ORDER BY and subqueries.
// About 500 lines: one class, since every part resolves names through the same query text, org and alias.
import type {
  FunctionExp,
  FieldType as ParsedFieldType,
  Query,
  Subquery,
  WhereClause,
} from '@jetstreamapp/soql-parser-js';
import { OrgError, type OrgRecord, type QueryResult } from '../contract.js';
import type { ObjectStore } from '../org/store.js';
import type { CompiledField, CompiledObject } from '../schema/compile.js';
import { AGGREGATE_FUNCTIONS, aggregate, groupRecords } from './aggregates.js';
import { dateFunction, dateFunctionParameter } from './date-functions.js';
import { malformed, positioned, unsupported } from './errors.js';
import { formatter } from './format.js';
import { filterOf, literalValues, type Operand } from './literals.js';
import { operatorPredicate } from './operators.js';
import type { RowReader } from './projection.js';
import type { QuerySource } from './source.js';
import type { CompiledSubquery, FieldPath, OrderKey, Predicate, SelectItem } from './types.js';
import { combineWhere } from './where.js';

/** The suffix of Salesforce's "no such name" messages. */
const WSDL_HINT = 'Please reference your WSDL or the describe call for the appropriate names.';

/** A function in a SELECT list (`COUNT(Id)`, `FORMAT(Amount)`, `FIELDS(ALL)`). */
type FunctionItem = Extract<ParsedFieldType, { type: 'FieldFunctionExpression' }>;

/** A path of no hops: the field itself. */
function fieldPath(field: CompiledField, path = field.name): FieldPath {
  return { hops: [], hopObjects: [], field, path };
}

/** Compiles the parts of one query (and its subqueries) against an org, and reads values for the compiled paths. */
export class QueryCompiler implements RowReader {
  /** The org clock's time when the query was compiled: what its date literals are relative to. */
  readonly now: Date;

  /** `runSubquery` runs a semi-join's inner query (`WHERE Id IN (SELECT ...)`). */
  constructor(
    readonly org: QuerySource,
    private readonly soql: string,
    readonly includeDeleted: boolean,
    private readonly runSubquery: (query: Query) => QueryResult,
  ) {
    this.now = org.now();
  }

  // -------------------------------------------------------------- names and values

  objectStore(name: string): ObjectStore {
    const store = this.org.storeOf(name);
    if (!store) {
      throw new OrgError(
        'INVALID_TYPE',
        positioned(
          this.soql,
          name,
          `sObject type '${name}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. ${WSDL_HINT}`,
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
      const reference = this.relationship(current, parts[index]!, rawPath);
      const next =
        reference.referenceTo.length !== 1
          ? this.polymorphicHop(reference, parts, index, rawPath)
          : this.objectStore(reference.referenceTo[0]!).object;
      hops.push(reference);
      hopObjects.push(next);
      names.push(reference.relationshipName!);
      current = next;
    }
    const last = parts[parts.length - 1]!;
    const field = current.byLower.get(last.toLowerCase());
    if (!field) {
      throw this.noSuchColumn(rawPath, last, current.name);
    }
    names.push(field.name);
    return { hops, hopObjects, field, path: names.join('.') };
  }

  /** The reference field of a relationship name in a path. */
  private relationship(object: CompiledObject, part: string, rawPath: string): CompiledField {
    const reference = object.byRelationship.get(part.toLowerCase());
    if (reference) return reference;
    throw this.unknownRelationship('INVALID_FIELD', rawPath, part, 'field path');
  }

  /** Salesforce's error for a relationship name it does not know, in a field path or a subquery's FROM. */
  private unknownRelationship(code: string, at: string, name: string, where: string): OrgError {
    return new OrgError(
      code,
      positioned(
        this.soql,
        at,
        `Didn't understand relationship '${name}' in ${where}. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. ${WSDL_HINT}`,
      ),
    );
  }

  /**
   * A polymorphic relationship (What, Who, Owner to several objects): Salesforce reads it through the Name entity,
   * so only one field of the referenced record can follow, read on whatever object it is.
   */
  private polymorphicHop(reference: CompiledField, parts: string[], index: number, rawPath: string): CompiledObject {
    if (index !== parts.length - 2) {
      throw unsupported(`A path through the polymorphic relationship ${reference.relationshipName}`);
    }
    return this.polymorphicTarget(reference, parts[parts.length - 1]!, rawPath);
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
    throw this.noSuchColumn(rawPath, fieldName, 'Name');
  }

  /** INVALID_FIELD for a column the entity does not have, positioned at the path in the query (Salesforce's wording). */
  private noSuchColumn(rawPath: string, column: string, entity: string): OrgError {
    return new OrgError(
      'INVALID_FIELD',
      positioned(
        this.soql,
        rawPath,
        `No such column '${column}' on entity '${entity}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. ${WSDL_HINT}`,
      ),
    );
  }

  /** The field of a record's own object with the name of `field` (differs from `field` across a polymorphic hop). */
  fieldOn(record: OrgRecord, field: CompiledField, polymorphic: boolean): CompiledField | undefined {
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

  // -------------------------------------------------------------- SELECT

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
        case 'FieldFunctionExpression':
          items.push(...this.functionItems(object, item, query, alias, nested));
          break;
        case 'FieldTypeof':
          items.push(this.compileTypeof(object, item));
          break;
        default:
          throw unsupported('This select item');
      }
    }
    return items;
  }

  /** The select items of a function: FIELDS(...), toLabel(...), FORMAT(...) or an aggregate function. */
  private functionItems(
    object: CompiledObject,
    item: FunctionItem,
    query: Query | Subquery,
    alias: string | undefined,
    nested: boolean,
  ): SelectItem[] {
    const name = item.functionName.toUpperCase();
    if (name === 'FIELDS') return this.fieldsItems(object, String(item.parameters[0] ?? '').toUpperCase(), query);
    if (name === 'TOLABEL' || name === 'FORMAT') {
      const parameter = item.parameters[0];
      if (typeof parameter !== 'string') throw unsupported(`The nested function in ${item.rawValue ?? name}`);
      const path = this.resolvePath(object, parameter, alias);
      // Picklist labels are their values in the emulator, so toLabel() reads the value itself.
      const transform = name === 'FORMAT' ? formatter(path.field) : undefined;
      return [{ kind: 'field', path, ...(transform ? { transform } : {}), ...(item.alias ? { key: item.alias } : {}) }];
    }
    if (!AGGREGATE_FUNCTIONS.includes(name)) throw unsupported(`The function ${item.rawValue ?? name}`);
    if (nested) throw unsupported('An aggregate function in a subquery');
    return [this.aggregateItem(object, item, name, alias)];
  }

  /** `FIELDS(ALL | STANDARD | CUSTOM)`: the object's fields of that kind (ALL and CUSTOM need LIMIT <= 200). */
  private fieldsItems(object: CompiledObject, kind: string, query: Query | Subquery): SelectItem[] {
    if (kind !== 'ALL' && kind !== 'STANDARD' && kind !== 'CUSTOM') throw malformed(`Unknown FIELDS(${kind})`);
    if (kind !== 'STANDARD' && (query.limit === undefined || query.limit > 200)) {
      throw malformed('The SOQL FIELDS function must have a LIMIT of at most 200');
    }
    const items: SelectItem[] = [];
    for (const field of object.fields) {
      if (kind === 'CUSTOM' && !field.custom) continue;
      if (kind === 'STANDARD' && field.custom) continue;
      items.push({ kind: 'field', path: fieldPath(field) });
    }
    return items;
  }

  private aggregateItem(
    object: CompiledObject,
    item: FunctionItem,
    name: string,
    alias: string | undefined,
  ): SelectItem {
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
          positioned(this.soql, parameter!, `field ${path.field.name} does not support aggregate operator ${name}`),
        );
      }
    }
    return { kind: 'aggregate', aggregate: { fn: name, path, alias: item.alias ?? '' } };
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
    return {
      kind: 'typeof',
      path: fieldPath(reference, reference.relationshipName!),
      typeOf: { reference, when, otherwise },
    };
  }

  // -------------------------------------------------------------- subqueries and ORDER BY

  compileSubquery(parent: ObjectStore, subquery: Subquery): CompiledSubquery {
    this.checkQueryShape(subquery, true);
    const name = subquery.relationshipName;
    const relationship = this.org
      .childRelationships(parent.object.name)
      .find((child) => child.relationshipName?.toLowerCase() === name.toLowerCase());
    const activities = relationship ? undefined : this.activitySubquery(parent, subquery);
    if (activities) return activities;
    if (!relationship) {
      throw this.unknownRelationship('INVALID_TYPE', name, name, 'FROM part of query call');
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
    const closedPath = fieldPath(isClosed);
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

  // -------------------------------------------------------------- WHERE and HAVING

  compileWhere(object: CompiledObject, where: WhereClause, alias: string | undefined, having = false): Predicate {
    return combineWhere(where, (left) => this.compileCondition(object, left, alias, having), this.soql);
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
    const operand = this.conditionOperand(object, condition, alias, having, operator);
    if (typeof operand === 'function') return operand;
    const filter = filterOf(operand, this.soql, this.now);
    if (filter.type === 'textarea' && filter.field.length > 255) {
      throw new OrgError(
        'INVALID_FIELD',
        positioned(this.soql, filter.rawField, `field '${filter.field.name}' can not be filtered in a query call`),
      );
    }
    const { raw, values } = literalValues(filter, condition);
    return operatorPredicate(filter, operator, raw, values);
  }

  /** The left side of a condition: a field, a date function, an aggregate of a group; or a whole semi-join. */
  private conditionOperand(
    object: CompiledObject,
    condition: Record<string, unknown>,
    alias: string | undefined,
    having: boolean,
    operator: string,
  ): Operand | Predicate {
    const fn = 'fn' in condition ? (condition.fn as FunctionExp) : undefined;
    const fnName = fn ? String(fn.functionName ?? '').toUpperCase() : '';
    if (having && fn && AGGREGATE_FUNCTIONS.includes(fnName)) return this.aggregateOperand(object, fn, fnName, alias);
    if (fn) {
      const rawField = fn.rawValue ?? fn.functionName ?? '';
      const parameter = dateFunctionParameter(fn);
      const path = this.resolvePath(object, parameter, alias);
      return { rawField, field: { name: rawField, length: 0 }, ...dateFunction(fn, parameter, path, this, this.soql) };
    }
    const rawField = String(condition.field);
    const path = this.resolvePath(object, rawField, alias);
    if (having) {
      const get = (group: OrgRecord) => this.valueAt(path, groupRecords(group)[0]!);
      return { rawField, field: path.field, type: path.field.valueType, get };
    }
    if ('valueQuery' in condition) return this.compileSemiJoin(path, operator, condition.valueQuery as Query);
    return { rawField, field: path.field, type: path.field.valueType, get: (record) => this.valueAt(path, record) };
  }

  /** An aggregate function in HAVING (`COUNT(Id) > 1`): computed over the group's records. */
  private aggregateOperand(
    object: CompiledObject,
    fn: FunctionExp,
    fnName: string,
    alias: string | undefined,
  ): Operand {
    const parameter = fn.parameters?.[0];
    if (parameter !== undefined && typeof parameter !== 'string') throw unsupported(`HAVING ${fn.rawValue ?? fnName}`);
    const path = parameter === undefined ? undefined : this.resolvePath(object, parameter, alias);
    const rawField = fn.rawValue ?? fnName;
    const type =
      fnName === 'COUNT' || fnName === 'COUNT_DISTINCT' ? 'int' : fnName === 'AVG' ? 'double' : path!.field.valueType;
    return {
      rawField,
      field: { name: rawField, length: 0 },
      type,
      get: (group) => aggregate(this, fnName, path, groupRecords(group)),
    };
  }

  /** `field IN (SELECT id FROM ...)` / `NOT IN`: the inner query runs once, at compile time. */
  compileSemiJoin(path: FieldPath, operator: string, valueQuery: Query): Predicate {
    if (operator !== 'IN' && operator !== 'NOT IN') throw malformed(`A subquery needs IN or NOT IN, not ${operator}`);
    const type = path.field.valueType;
    if (type !== 'id' && type !== 'reference') throw unsupported('A semi-join on a field that is not an id');
    const fields = valueQuery.fields ?? [];
    const only = fields[0];
    if (fields.length !== 1 || !only || only.type !== 'Field') {
      throw malformed('A semi-join subquery must select exactly one id field');
    }
    const inner = this.runSubquery(valueQuery);
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
}
