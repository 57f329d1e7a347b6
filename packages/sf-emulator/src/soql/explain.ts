/**
 * The query plan Salesforce's `query?explain=` answers, computed from what the emulator's engine really does:
 * a query whose WHERE clause is a plain AND chain with `=` / `IN` on `Id` or on a unique or external id field
 * reads only the records those values name (an index lookup); any other query scans the object.
 */
import { type Condition, parseQuery, type Query, type WhereClause } from '@jetstreamapp/soql-parser-js';
import { OrgError } from '../contract.js';
import type { EmulatedOrg } from '../org/index.js';

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

/** The fields of a top-level AND chain's `=` / `IN` conditions, or undefined when the WHERE is anything else. */
function equalityFields(where: WhereClause | undefined): string[] | undefined {
  const fields: string[] = [];
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
    node = 'right' in node ? (node.right as WhereClause | undefined) : undefined;
  }
  return fields;
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
  const indexFields = (equalityFields(query.where) ?? [])
    .map((name) => (alias && name.toLowerCase().startsWith(`${alias}.`) ? name.slice(alias.length + 1) : name))
    .filter((name) => !name.includes('.'))
    .map((name) => compiled?.byLower.get(name.toLowerCase()))
    .filter((field) => field !== undefined && (field.type === 'id' || (field.indexed && !field.caseSensitive)));
  const leading = indexFields[0];
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
