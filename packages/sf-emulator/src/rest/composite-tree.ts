/**
 * `POST composite/tree/{T}`: a tree of records (children nested under their parent's child relationship name)
 * created in one all-or-nothing call, as `sf data import tree` sends it. At most 200 records in the whole tree.
 */
import type { DmlError } from '../contract.js';
import type { ApiRequest } from '../server/context.js';
import { ApiError, readJsonObject, sendJson } from '../server/http.js';
import { requireObject } from './sobject-access.js';

const TREE_LIMIT = 200;

interface TreeNode {
  type: string;
  referenceId: string;
  fields: Record<string, unknown>;
  parent?: { node: TreeNode; field: string };
}

type TreeResult = { referenceId: string; id: string } | { referenceId: string; errors: DmlError[] };

function bad(message: string): ApiError {
  return new ApiError(400, 'INVALID_INPUT', message);
}

/** Walks the request's records depth first (parents before their children), checking the shape. */
function flatten(api: ApiRequest, rootType: string, records: unknown, out: TreeNode[], parent?: TreeNode['parent']) {
  if (!Array.isArray(records)) throw bad('records must be an array of records');
  const org = api.ctx.org;
  for (const raw of records) {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw bad('Each record must be a JSON object');
    const record = raw as Record<string, unknown>;
    const attributes = record.attributes as { type?: unknown; referenceId?: unknown } | undefined;
    const type = typeof attributes?.type === 'string' ? attributes.type : undefined;
    const referenceId = typeof attributes?.referenceId === 'string' ? attributes.referenceId : undefined;
    if (!type || !referenceId) {
      throw bad('Each record needs attributes with a type and a referenceId');
    }
    const definition = org.getObject(type);
    if (!definition) throw new ApiError(400, 'INVALID_TYPE', `sObject type '${type}' is not supported.`);
    if (parent === undefined && definition.name.toLowerCase() !== rootType.toLowerCase()) {
      throw bad(`The top-level records must be of type ${rootType}, found ${type}`);
    }
    if (out.some((node) => node.referenceId === referenceId)) throw bad(`Duplicate referenceId: ${referenceId}`);
    const node: TreeNode = { type: definition.name, referenceId, fields: {}, ...(parent ? { parent } : {}) };
    out.push(node);
    if (out.length > TREE_LIMIT) {
      throw new ApiError(400, 'EXCEEDED_ID_LIMIT', `A tree holds at most ${TREE_LIMIT} records`);
    }
    const childLists: Array<[string, unknown]> = [];
    for (const [key, value] of Object.entries(record)) {
      if (key === 'attributes') continue;
      const relationship = org
        .childRelationships(definition.name)
        .find((child) => child.relationshipName?.toLowerCase() === key.toLowerCase());
      if (relationship && value && typeof value === 'object' && !Array.isArray(value)) {
        childLists.push([relationship.field, (value as { records?: unknown }).records]);
        continue;
      }
      node.fields[key] = value;
    }
    for (const [field, children] of childLists) flatten(api, rootType, children, out, { node, field });
  }
}

/** `POST composite/tree/{T}` -> 201 `{ hasErrors: false, results: [{ referenceId, id }] }`, or 400 with the errors. */
export async function handleCompositeTree(api: ApiRequest, objectName: string): Promise<void> {
  const definition = requireObject(api.ctx.org, objectName);
  const body = await readJsonObject(api.req);
  const nodes: TreeNode[] = [];
  flatten(api, definition.name, body.records, nodes);
  const org = api.ctx.org;
  const ids = new Map<TreeNode, string>();
  const created: string[] = [];
  const results: TreeResult[] = [];
  let failed = false;
  for (const node of nodes) {
    const fields = { ...node.fields };
    if (node.parent) {
      const parentId = ids.get(node.parent.node);
      if (parentId === undefined) continue; // its parent failed: nothing is created anyway
      fields[node.parent.field] = parentId;
    }
    const [result] = org.dml('insert', node.type, [fields]);
    if (result?.success && result.id) {
      ids.set(node, result.id);
      created.push(result.id);
      results.push({ referenceId: node.referenceId, id: result.id });
    } else {
      failed = true;
      results.push({ referenceId: node.referenceId, errors: result?.errors ?? [] });
    }
  }
  if (failed) {
    org.discardInserts(created);
    sendJson(api.res, 400, { hasErrors: true, results: results.filter((result) => 'errors' in result) });
    return;
  }
  sendJson(api.res, 201, { hasErrors: false, results });
}
