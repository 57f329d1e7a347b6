/**
 * The query plan Salesforce's `query?explain=` answers, computed from what the emulator's engine really does:
 * a query whose WHERE clause is a plain AND chain with `=` / `IN` on `Id` or on a unique or external id field
 * reads only the records those values name (an index lookup); one whose chain bounds SystemModstamp or CreatedDate
 * and which the planner answers from that field's range index (see `plannedCandidates`) is an index lookup on that
 * field; any other query scans the object.
 */
import { type Condition, parseQuery, type Query, type WhereClause } from '@jetstreamapp/soql-parser-js';
import { OrgError } from '../contract.js';
import type { EmulatedOrg } from '../org/index.js';
import { STAMP_FIELDS } from '../org/modstamp-index.js';
import { plannedCandidates } from './planner.js';
import type { QuerySource } from './source.js';

/** One plan of `GET query?explain=`. */
export interface QueryPlan {
  cardinality: number;
  fields: string[];
  leadingOperationType: 'Index' | 'TableScan';
  notes: Array<{ description: string; fields: string[]; tableEnumOrId: string }>;
  relativeCost: number;
  sobjectCardinality: number;
  sobjectType: string;
}

/**
 * The fields of a top-level AND chain's `=` / `IN` conditions on text literals (`equality`) and of its other
 * conditions (`other`), or undefined when the WHERE is anything else.
 */
function chainFields(where: WhereClause | undefined): { equality: string[]; other: string[] } | undefined {
  const fields: string[] = [];
  const other: string[] = [];
  let node: WhereClause | undefined = where;
  while (node) {
    const left = node.left as (Condition & Record<string, unknown>) | null;
    const operator = 'operator' in node ? node.operator : undefined;
    if (operator !== undefined && operator !== 'AND') return undefined;
    if (!left || !('field' in left) || 'openParen' in left || 'closeParen' in left || 'valueQuery' in left) {
      return undefined;
    }
    const op = String(left.operator).toUpperCase();
    const types = Array.isArray(left.literalType) ? left.literalType : [left.literalType];
    if ((op === '=' || op === 'IN') && types.every((type) => type === 'STRING')) fields.push(String(left.field));
    else other.push(String(left.field));
    node = 'right' in node ? (node.right as WhereClause | undefined) : undefined;
  }
  return { equality: fields, other };
}

/**
 * The field whose range index the engine reads for this query (the chain's first condition on one of STAMP_FIELDS),
 * when the planner does use one; else undefined.
 */
function rangeIndexField(org: EmulatedOrg, query: Query, objectName: string, fields: string[]): string | undefined {
  const source = org as unknown as Partial<QuerySource>;
  if (!query.where || typeof source.storeOf !== 'function') return undefined;
  const store = source.storeOf(objectName);
  if (!store) return undefined;
  const plan = plannedCandidates(source as QuerySource, store, query.where, query.sObjectAlias, false, org.clock.now());
  if (!plan?.places) return undefined;
  return fields.map((name) => STAMP_FIELDS.find((stamp) => stamp.toLowerCase() === name.toLowerCase())).find(Boolean);
}

/**
 * Explains a SOQL query: the query is run (so a bad query fails with the error the query itself would get) and
 * its plan reports the rows it matches, the object's size and whether an index leads.
 */
export function explainQuery(org: EmulatedOrg, soql: string): QueryPlan {
  const result = org.query(soql);
  let query: Query;
  try {
    query = parseQuery(soql) as Query;
  } catch {
    throw new OrgError('MALFORMED_QUERY', `Cannot explain this query: ${soql}`);
  }
  const objectName = String(query.sObject ?? '');
  const compiled = org.compiledObject(objectName);
  const sobjectType = compiled?.name ?? objectName;
  const sobjectCardinality = org.query(`SELECT COUNT() FROM ${sobjectType}`).totalSize;
  const alias = query.sObjectAlias?.toLowerCase();
  const unaliased = (names: string[]) =>
    names
      .map((name) => (alias && name.toLowerCase().startsWith(`${alias}.`) ? name.slice(alias.length + 1) : name))
      .filter((name) => !name.includes('.'));
  const chain = chainFields(query.where);
  const indexFields = unaliased(chain?.equality ?? [])
    .map((name) => compiled?.byLower.get(name.toLowerCase()))
    .filter((field) => field !== undefined && (field.type === 'id' || (field.indexed && !field.caseSensitive)));
  const range = indexFields[0]
    ? undefined
    : rangeIndexField(org, query, sobjectType, unaliased([...(chain?.equality ?? []), ...(chain?.other ?? [])]));
  const leading = indexFields[0] ?? (range ? compiled?.byLower.get(range.toLowerCase()) : undefined);
  const cardinality = result.isCount ? result.totalSize : result.records.length;
  const scanCost = sobjectCardinality === 0 ? 0 : 1 + sobjectCardinality / 100_000;
  return {
    cardinality,
    fields: leading ? [leading.name] : [],
    leadingOperationType: leading ? 'Index' : 'TableScan',
    notes: [],
    relativeCost: leading ? Math.min(scanCost, cardinality / Math.max(1, sobjectCardinality)) : scanCost,
    sobjectCardinality,
    sobjectType,
  };
}
